// Parsing: every field of the model from its OCI name, and type errors that
// name the exact JSON path.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "spec/config.hpp"
#include "test_support.hpp"

using namespace myrt::spec;
using namespace myrt::spec::testing;
using nlohmann::json;

namespace {

json minimal() {
    return json::parse(R"({"ociVersion": "1.0.2", "root": {"path": "rootfs"},
                           "process": {"args": ["sh"], "cwd": "/"}})");
}

}  // namespace

TEST(Parse, RuncSpecFixtureGivesRuncDefaults) {
    Config c = parse_config(load_fixture("runc-spec.json"));
    EXPECT_EQ(c.oci_version, "1.0.2-dev");
    ASSERT_TRUE(c.process);
    EXPECT_TRUE(c.process->terminal);
    EXPECT_EQ(c.process->args, std::vector<std::string>{"sh"});
    EXPECT_EQ(c.process->env.size(), 2u);
    EXPECT_EQ(c.process->cwd, "/");
    ASSERT_TRUE(c.process->capabilities);
    EXPECT_EQ(c.process->capabilities->bounding.size(), 3u);
    EXPECT_TRUE(c.process->capabilities->inheritable.empty());
    ASSERT_EQ(c.process->rlimits.size(), 1u);
    EXPECT_EQ(c.process->rlimits[0].type, "RLIMIT_NOFILE");
    EXPECT_EQ(c.process->rlimits[0].hard, 1024u);
    EXPECT_TRUE(c.process->no_new_privileges);
    EXPECT_EQ(c.root.path, "rootfs");
    EXPECT_TRUE(c.root.readonly);
    EXPECT_EQ(c.hostname, "runc");
    ASSERT_EQ(c.mounts.size(), 7u);
    EXPECT_EQ(c.mounts[2].destination, "/dev/pts");
    EXPECT_EQ(c.mounts[2].options.back(), "gid=5");
    EXPECT_EQ(c.linux.namespaces.size(), 5u);
    ASSERT_TRUE(c.linux.resources);
    ASSERT_EQ(c.linux.resources->devices.size(), 1u);
    EXPECT_FALSE(c.linux.resources->devices[0].allow);
    EXPECT_EQ(c.linux.resources->devices[0].access, "rwm");
    EXPECT_EQ(c.linux.masked_paths.size(), 10u);
    EXPECT_EQ(c.linux.readonly_paths.size(), 5u);
}

TEST(Parse, FullConfigProcess) {
    Config c = parse_config(load_fixture("full-config.json"));
    auto& p = *c.process;
    ASSERT_TRUE(p.console_size);
    EXPECT_EQ(p.console_size->height, 25u);
    EXPECT_EQ(p.console_size->width, 80u);
    EXPECT_EQ(p.user.uid, 1000u);
    EXPECT_EQ(p.user.gid, 1000u);
    EXPECT_EQ(p.user.umask, 18u);
    EXPECT_EQ(p.user.additional_gids, (std::vector<uint32_t>{5, 6}));
    EXPECT_EQ(p.cwd, "/work");
    EXPECT_EQ(p.capabilities->inheritable, std::vector<std::string>{"CAP_KILL"});
    EXPECT_EQ(p.capabilities->ambient, std::vector<std::string>{"CAP_KILL"});
    EXPECT_EQ(p.rlimits[1].hard, UINT64_MAX);
    EXPECT_EQ(p.apparmor_profile, "myrt-default");
    EXPECT_EQ(p.oom_score_adj, -500);
    EXPECT_EQ(p.selinux_label, "system_u:system_r:container_t:s0");
}

TEST(Parse, FullConfigTopLevelAndHooks) {
    Config c = parse_config(load_fixture("full-config.json"));
    EXPECT_EQ(c.domainname, "example.org");
    EXPECT_EQ(c.mounts[1].options, (std::vector<std::string>{"rbind", "rro", "nosuid"}));
    ASSERT_EQ(c.hooks.prestart.size(), 1u);
    EXPECT_EQ(c.hooks.prestart[0].path, "/usr/bin/prestart-hook");
    EXPECT_EQ(c.hooks.prestart[0].args.size(), 2u);
    EXPECT_EQ(c.hooks.prestart[0].env, std::vector<std::string>{"X=1"});
    EXPECT_EQ(c.hooks.prestart[0].timeout, 5);
    EXPECT_EQ(c.hooks.create_runtime.size(), 1u);
    EXPECT_FALSE(c.hooks.create_runtime[0].env.has_value());  // absent: the runtime's environment
    EXPECT_EQ(c.hooks.create_container[0].timeout, 1);
    EXPECT_EQ(c.hooks.start_container.size(), 1u);
    EXPECT_EQ(c.hooks.poststart.size(), 1u);
    EXPECT_EQ(c.hooks.poststop[0].env, std::vector<std::string>{"Y=2"});
    EXPECT_EQ(c.annotations.at("org.example.key"), "value");
}

TEST(Parse, FullConfigLinux) {
    Config c = parse_config(load_fixture("full-config.json"));
    auto& l = c.linux;
    EXPECT_EQ(l.namespaces.size(), 8u);
    ASSERT_NE(l.find_namespace("network"), nullptr);
    EXPECT_EQ(l.find_namespace("network")->path, "/var/run/netns/full");
    EXPECT_EQ(l.find_namespace("nope"), nullptr);
    EXPECT_EQ(l.uid_mappings[0].host_id, 100000u);
    EXPECT_EQ(l.gid_mappings[0].size, 65536u);
    EXPECT_EQ(l.time_offsets.at("boottime").secs, 3600);
    EXPECT_EQ(l.time_offsets.at("boottime").nanosecs, 5u);
    EXPECT_EQ(l.time_offsets.at("monotonic").secs, -100);
    ASSERT_EQ(l.devices.size(), 3u);
    EXPECT_EQ(l.devices[0].major, 10);
    EXPECT_EQ(l.devices[0].minor, 229);
    EXPECT_EQ(l.devices[0].file_mode, 0666u);
    EXPECT_EQ(l.devices[0].uid, 0u);
    EXPECT_FALSE(l.devices[1].file_mode);
    EXPECT_EQ(l.devices[2].type, "p");
    EXPECT_EQ(l.cgroups_path, "/myrt/full");
    EXPECT_EQ(l.rootfs_propagation, "rslave");
    EXPECT_EQ(l.sysctl.at("net.ipv4.ip_forward"), "1");
    EXPECT_EQ(l.masked_paths.size(), 2u);
    EXPECT_EQ(l.readonly_paths, std::vector<std::string>{"/proc/sys"});
    EXPECT_EQ(l.mount_label, "system_u:object_r:container_file_t:s0");
    ASSERT_TRUE(l.personality);
    EXPECT_EQ(l.personality->domain, "LINUX32");
}

TEST(Parse, FullConfigResources) {
    Config c = parse_config(load_fixture("full-config.json"));
    auto& r = *c.linux.resources;
    ASSERT_EQ(r.devices.size(), 2u);
    EXPECT_TRUE(r.devices[1].allow);
    EXPECT_EQ(r.devices[1].type, "c");
    EXPECT_EQ(r.devices[1].major, 10);
    EXPECT_FALSE(r.devices[0].major);
    auto& m = *r.memory;
    EXPECT_EQ(m.limit, 536870912);
    EXPECT_EQ(m.reservation, 268435456);
    EXPECT_EQ(m.swap, 1073741824);
    EXPECT_EQ(m.kernel, -1);
    EXPECT_EQ(m.kernel_tcp, 1048576);
    EXPECT_EQ(m.swappiness, 60u);
    EXPECT_EQ(m.disable_oom_killer, false);
    EXPECT_EQ(m.use_hierarchy, true);
    EXPECT_EQ(m.check_before_update, true);
    auto& cpu = *r.cpu;
    EXPECT_EQ(cpu.shares, 1024u);
    EXPECT_EQ(cpu.quota, 50000);
    EXPECT_EQ(cpu.burst, 10000u);
    EXPECT_EQ(cpu.period, 100000u);
    EXPECT_EQ(cpu.realtime_runtime, 950000);
    EXPECT_EQ(cpu.realtime_period, 1000000u);
    EXPECT_EQ(cpu.cpus, "0-1");
    EXPECT_EQ(cpu.mems, "0");
    EXPECT_EQ(cpu.idle, 0);
    EXPECT_EQ(r.pids->limit, 100);
    auto& b = *r.block_io;
    EXPECT_EQ(b.weight, 500);
    EXPECT_EQ(b.leaf_weight, 300);
    EXPECT_EQ(b.weight_device[0].weight, 600);
    EXPECT_EQ(b.weight_device[0].leaf_weight, 200);
    EXPECT_EQ(b.throttle_read_bps_device[0].rate, 1048576u);
    EXPECT_EQ(b.throttle_write_bps_device[0].rate, 2097152u);
    EXPECT_EQ(b.throttle_read_iops_device[0].minor, 16);
    EXPECT_EQ(b.throttle_write_iops_device[0].rate, 200u);
    EXPECT_EQ(r.hugepage_limits[0].page_size, "2MB");
    EXPECT_EQ(r.hugepage_limits[0].limit, 209715200u);
    EXPECT_EQ(r.unified.at("io.weight"), "default 100");
}

TEST(Parse, FullConfigSeccomp) {
    Config c = parse_config(load_fixture("full-config.json"));
    auto& s = *c.linux.seccomp;
    EXPECT_EQ(s.default_action, "SCMP_ACT_ERRNO");
    EXPECT_EQ(s.default_errno_ret, 1u);
    EXPECT_EQ(s.architectures.size(), 3u);
    EXPECT_EQ(s.flags.size(), 2u);
    EXPECT_EQ(s.listener_path, "/run/seccomp-agent.sock");
    EXPECT_EQ(s.listener_metadata, "agent-data");
    ASSERT_EQ(s.syscalls.size(), 5u);
    EXPECT_EQ(s.syscalls[0].names.size(), 3u);
    EXPECT_EQ(s.syscalls[2].args[0].op, "SCMP_CMP_MASKED_EQ");
    EXPECT_EQ(s.syscalls[2].args[0].value, 2114060288u);
    EXPECT_EQ(s.syscalls[2].args[0].value_two, 256u);
    EXPECT_EQ(s.syscalls[4].errno_ret, 38u);
    EXPECT_FALSE(s.syscalls[0].errno_ret);
}

TEST(Parse, KeepsRawDocumentWithUnknownFields) {
    json doc = minimal();
    doc["vendorExtension"] = {{"x", 1}};
    doc["process"]["ioPriority"] = {{"class", "IOPRIO_CLASS_IDLE"}};
    doc["linux"]["intelRdt"] = {{"closID", "x"}};
    Config c = parse_config(doc);
    EXPECT_EQ(c.raw, doc);
    EXPECT_EQ(c.raw["vendorExtension"]["x"], 1);
}

TEST(Parse, NullMeansAbsent) {
    json doc = minimal();
    doc["hostname"] = nullptr;
    doc["linux"] = {{"resources", nullptr}, {"namespaces", nullptr}};
    doc["process"]["capabilities"] = nullptr;
    Config c = parse_config(doc);
    EXPECT_EQ(c.hostname, "");
    EXPECT_FALSE(c.linux.resources);
    EXPECT_FALSE(c.process->capabilities);
}

TEST(Parse, ProcessIsOptionalForParsing) {
    json doc = minimal();
    doc.erase("process");
    Config c = parse_config(doc);
    EXPECT_FALSE(c.process);
}

TEST(ParseErrors, DocumentMustBeObject) {
    EXPECT_SPEC_ERROR(parse_config(json::array()), "config: must be a JSON object");
}

TEST(ParseErrors, OciVersionRequiredAndString) {
    json doc = minimal();
    doc.erase("ociVersion");
    EXPECT_SPEC_ERROR(parse_config(doc), "ociVersion: is required");
    doc["ociVersion"] = 1;
    EXPECT_SPEC_ERROR(parse_config(doc), "ociVersion: must be a string");
}

TEST(ParseErrors, ArgsNotAnArray) {
    json doc = minimal();
    doc["process"]["args"] = "sh";
    EXPECT_SPEC_ERROR(parse_config(doc), "process.args: must be a non-empty array");
}

TEST(ParseErrors, ArgsElementNotString) {
    json doc = minimal();
    doc["process"]["args"] = {"sh", 3};
    EXPECT_SPEC_ERROR(parse_config(doc), "process.args[1]: must be a string");
}

TEST(ParseErrors, MemoryLimitNotInteger) {
    json doc = minimal();
    doc["linux"]["resources"]["memory"]["limit"] = "512M";
    EXPECT_SPEC_ERROR(parse_config(doc), "linux.resources.memory.limit: must be an integer");
    doc["linux"]["resources"]["memory"]["limit"] = 1.5;
    EXPECT_SPEC_ERROR(parse_config(doc), "linux.resources.memory.limit: must be an integer");
}

TEST(ParseErrors, IntegerOutOfRange) {
    json doc = minimal();
    doc["process"]["user"] = {{"uid", -1}};
    EXPECT_SPEC_ERROR(parse_config(doc), "process.user.uid: must be an integer between 0 and 4294967295, got -1");
    doc = minimal();
    doc["linux"]["resources"]["memory"]["limit"] = UINT64_MAX;
    EXPECT_SPEC_ERROR(parse_config(doc), "linux.resources.memory.limit: must be an integer between");
    doc = minimal();
    doc["linux"]["resources"]["blockIO"]["weight"] = 70000;
    EXPECT_SPEC_ERROR(parse_config(doc), "linux.resources.blockIO.weight: must be an integer between 0 and 65535");
}

TEST(ParseErrors, BooleanAndObjectTypes) {
    json doc = minimal();
    doc["process"]["terminal"] = "yes";
    EXPECT_SPEC_ERROR(parse_config(doc), "process.terminal: must be a boolean");
    doc = minimal();
    doc["root"] = "rootfs";
    EXPECT_SPEC_ERROR(parse_config(doc), "root: must be an object");
    doc = minimal();
    doc["linux"]["namespaces"] = {{{"type", "pid"}}, "ipc"};
    EXPECT_SPEC_ERROR(parse_config(doc), "linux.namespaces[1]: must be an object");
}

TEST(ParseErrors, ArraysAndMaps) {
    json doc = minimal();
    doc["mounts"] = {{"destination", "/x"}};
    EXPECT_SPEC_ERROR(parse_config(doc), "mounts: must be an array");
    doc = minimal();
    doc["annotations"] = {{"a", "b"}, {"n", 3}};
    EXPECT_SPEC_ERROR(parse_config(doc), "annotations.n: must be a string");
    doc = minimal();
    doc["linux"]["sysctl"] = {"net.ipv4.ip_forward"};
    EXPECT_SPEC_ERROR(parse_config(doc), "linux.sysctl: must be an object");
}

TEST(ParseErrors, RequiredMembersNamePath) {
    json doc = minimal();
    doc["mounts"] = {{{"type", "proc"}}};
    EXPECT_SPEC_ERROR(parse_config(doc), "mounts[0].destination: is required");
    doc = minimal();
    doc["hooks"]["poststop"] = {{{"args", {"x"}}}};
    EXPECT_SPEC_ERROR(parse_config(doc), "hooks.poststop[0].path: is required");
    doc = minimal();
    doc["root"] = json::object();
    EXPECT_SPEC_ERROR(parse_config(doc), "root.path: is required");
    doc = minimal();
    doc["process"]["rlimits"] = {{{"type", "RLIMIT_NOFILE"}, {"hard", 1}}};
    EXPECT_SPEC_ERROR(parse_config(doc), "process.rlimits[0].soft: is required");
    doc = minimal();
    doc["linux"]["uidMappings"] = {{{"containerID", 0}, {"size", 1}}};
    EXPECT_SPEC_ERROR(parse_config(doc), "linux.uidMappings[0].hostID: is required");
}

TEST(ParseErrors, DeviceNumbersRequiredForCharBlockUnbuffered) {
    json doc = minimal();
    doc["linux"]["devices"] = {{{"type", "c"}, {"path", "/dev/x"}, {"minor", 1}}};
    EXPECT_SPEC_ERROR(parse_config(doc), "linux.devices[0].major: is required for a device of type \"c\"");
    doc["linux"]["devices"] = {{{"type", "b"}, {"path", "/dev/x"}, {"major", 1}}};
    EXPECT_SPEC_ERROR(parse_config(doc), "linux.devices[0].minor: is required for a device of type \"b\"");
    doc["linux"]["devices"] = {{{"type", "u"}, {"path", "/dev/x"}}};
    EXPECT_SPEC_ERROR(parse_config(doc), "linux.devices[0].major: is required for a device of type \"u\"");
    doc["linux"]["devices"] = {{{"type", "p"}, {"path", "/dev/fifo"}}};
    EXPECT_NO_THROW(parse_config(doc));
}

TEST(ParseErrors, SeccompStructure) {
    json doc = minimal();
    doc["linux"]["seccomp"] = {{"syscalls", json::array()}};
    EXPECT_SPEC_ERROR(parse_config(doc), "linux.seccomp.defaultAction: is required");
    doc["linux"]["seccomp"] = {{"defaultAction", "SCMP_ACT_ALLOW"},
                               {"syscalls", {{{"names", json::array()}, {"action", "SCMP_ACT_ERRNO"}}}}};
    EXPECT_SPEC_ERROR(parse_config(doc), "linux.seccomp.syscalls[0].names: must be a non-empty array");
    doc["linux"]["seccomp"]["syscalls"] = {
        {{"names", {"read"}}, {"action", "SCMP_ACT_ERRNO"}, {"args", {{{"index", 0}, {"value", 1}}}}}};
    EXPECT_SPEC_ERROR(parse_config(doc), "linux.seccomp.syscalls[0].args[0].op: is required");
}

TEST(ParseErrors, TimeOffsetsNamePath) {
    json doc = minimal();
    doc["linux"]["namespaces"] = {{{"type", "time"}}};
    doc["linux"]["timeOffsets"] = {{"monotonic", {{"secs", "ten"}}}};
    EXPECT_SPEC_ERROR(parse_config(doc), "linux.timeOffsets.monotonic.secs: must be an integer");
}

TEST(LoadConfig, FromBundleDirectoryAndFile) {
    auto dir = std::filesystem::temp_directory_path() / ("myrt-spec-test-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir);
    {
        std::ofstream out(dir / "config.json");
        out << load_fixture("runc-spec.json").dump();
    }
    EXPECT_EQ(load_config(dir.string()).hostname, "runc");
    EXPECT_EQ(load_config((dir / "config.json").string()).hostname, "runc");
    std::filesystem::remove_all(dir);
}

TEST(LoadConfig, MissingFileNamesPath) {
    EXPECT_SPEC_ERROR(load_config("/nonexistent/bundle"), "/nonexistent/bundle: config file does not exist");
    auto dir = std::filesystem::temp_directory_path() / ("myrt-spec-empty-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir);
    EXPECT_SPEC_ERROR(load_config(dir.string()), (dir / "config.json").string() + ": config file does not exist");
    std::filesystem::remove_all(dir);
}

TEST(LoadConfig, InvalidJsonAndBadFieldNameTheFile) {
    auto dir = std::filesystem::temp_directory_path() / ("myrt-spec-bad-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir);
    auto file = (dir / "config.json").string();
    {
        std::ofstream out(file);
        out << "{\"ociVersion\": ";
    }
    EXPECT_SPEC_ERROR(load_config(file), file + ": invalid JSON");
    {
        // a number too large even for a double is nlohmann's out_of_range, not a parse_error
        std::ofstream out(file);
        out << R"({"ociVersion": "1.0.0", "root": {"path": "r"}, "linux": {"resources": {"pids": {"limit": 1e999}}}})";
    }
    EXPECT_SPEC_ERROR(load_config(file), file + ": invalid JSON");
    {
        std::ofstream out(file);
        json doc = minimal();
        doc["process"]["args"] = json::array();
        out << doc.dump();
    }
    EXPECT_SPEC_ERROR(load_config(file), file + ": process.args: must be a non-empty array");
    std::filesystem::remove_all(dir);
}

TEST(ParseProcess, ExecProcessJson) {
    json doc = json::parse(R"({"terminal": false, "args": ["ls", "-l"], "cwd": "/tmp",
                               "env": ["A=1"], "user": {"uid": 5, "gid": 6}})");
    Process p = parse_process(doc);
    EXPECT_EQ(p.args.size(), 2u);
    EXPECT_EQ(p.cwd, "/tmp");
    EXPECT_EQ(p.user.uid, 5u);
}

TEST(ParseProcess, ErrorsNameProcessPath) {
    EXPECT_SPEC_ERROR(parse_process(json::parse(R"({"cwd": "/"})")), "process.args: must be a non-empty array");
    EXPECT_SPEC_ERROR(parse_process(json::parse(R"({"args": ["x"], "cwd": "tmp"})")),
                      "process.cwd: must be an absolute path");
    EXPECT_SPEC_ERROR(parse_process(json::parse(R"([1])")), "process: must be an object");
}

TEST(ParseResources, UpdateResourcesJson) {
    Resources r = parse_resources(json::parse(R"({"memory": {"limit": 1048576}, "pids": {"limit": 10},
                                                 "cpu": {"quota": 1000, "period": 10000}})"));
    EXPECT_EQ(r.memory->limit, 1048576);
    EXPECT_EQ(r.pids->limit, 10);
    EXPECT_EQ(r.cpu->quota, 1000);
    EXPECT_SPEC_ERROR(parse_resources(json::parse(R"({"memory": {"swap": "x"}})")),
                      "resources.memory.swap: must be an integer");
    EXPECT_SPEC_ERROR(parse_resources(json::parse(R"({"memory": {"swappiness": 101}})")),
                      "resources.memory.swappiness: must be between 0 and 100");
}
