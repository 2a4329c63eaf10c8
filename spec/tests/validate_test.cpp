// Semantic validation: each rule runc applies, with the path it names.
#include <gtest/gtest.h>

#include "spec/config.hpp"
#include "test_support.hpp"

using namespace myrt::spec;
using namespace myrt::spec::testing;
using nlohmann::json;

namespace {

// The runc spec fixture is a valid starting point for each broken variant.
json base() { return load_fixture("runc-spec.json"); }

json& ns_list(json& doc) { return doc["linux"]["namespaces"]; }

void drop_namespace(json& doc, const std::string& type) {
    auto& list = ns_list(doc);
    for (auto it = list.begin(); it != list.end(); ++it)
        if ((*it)["type"] == type) {
            list.erase(it);
            return;
        }
}

}  // namespace

TEST(Validate, FixturesAreValid) {
    EXPECT_NO_THROW(parse_config(load_fixture("runc-spec.json")));
    EXPECT_NO_THROW(parse_config(load_fixture("runc-spec-rootless.json")));
    EXPECT_NO_THROW(parse_config(load_fixture("full-config.json")));
}

TEST(Validate, OciVersionMustBeOneX) {
    json doc = base();
    doc["ociVersion"] = "2.0.0";
    EXPECT_SPEC_ERROR(parse_config(doc), "ociVersion: unsupported version \"2.0.0\"");
    doc["ociVersion"] = "latest";
    EXPECT_SPEC_ERROR(parse_config(doc), "ociVersion: unsupported version \"latest\"");
    doc["ociVersion"] = "";
    EXPECT_SPEC_ERROR(parse_config(doc), "ociVersion: is required");
    for (auto bad : {"1.0", "1.", "1..0", "1.0.", "1.x.0", "1.0.0x", "11.0.0", " 1.0.0", "1.0.0 "}) {
        doc["ociVersion"] = bad;
        EXPECT_SPEC_ERROR(parse_config(doc), "ociVersion: unsupported version");
    }
    for (auto ok : {"1.0.0", "1.0.2-dev", "1.1.0", "1.0.0-rc5", "1.2.0", "1.10.20+build.7", "1.0.0-"}) {
        doc["ociVersion"] = ok;
        EXPECT_NO_THROW(parse_config(doc)) << ok;
    }
}

TEST(Validate, RootPathMustNotBeEmpty) {
    json doc = base();
    doc["root"]["path"] = "";
    EXPECT_SPEC_ERROR(parse_config(doc), "root.path: is required");
    doc.erase("root");
    EXPECT_SPEC_ERROR(parse_config(doc), "root.path: is required");
}

TEST(Validate, ProcessArgsMustNotBeEmpty) {
    json doc = base();
    doc["process"]["args"] = json::array();
    EXPECT_SPEC_ERROR(parse_config(doc), "process.args: must be a non-empty array");
}

TEST(Validate, ProcessCwdMustBeAbsolute) {
    json doc = base();
    doc["process"]["cwd"] = "work";
    EXPECT_SPEC_ERROR(parse_config(doc), "process.cwd: must be an absolute path, got \"work\"");
}

TEST(Validate, EnvMustBeKeyValue) {
    json doc = base();
    doc["process"]["env"].push_back("NOEQUALS");
    EXPECT_SPEC_ERROR(parse_config(doc), "process.env[2]: must be KEY=VALUE, got \"NOEQUALS\"");
    doc["process"]["env"][2] = "=value";
    EXPECT_SPEC_ERROR(parse_config(doc), "process.env[2]: must be KEY=VALUE");
}

TEST(Validate, UnknownCapabilityNamesAreLeftToTheRuntimeAsRunc12Does) {
    json doc = base();
    doc["process"]["capabilities"]["bounding"].push_back("CAP_FROM_THE_FUTURE");
    doc["process"]["capabilities"]["ambient"] = {"cap_kill", "KILL"};
    EXPECT_NO_THROW(parse_config(doc));
}

TEST(Validate, RlimitTypeKnownSoftBelowHardNoDuplicates) {
    json doc = base();
    doc["process"]["rlimits"][0]["type"] = "RLIMIT_FOO";
    EXPECT_SPEC_ERROR(parse_config(doc), "process.rlimits[0].type: unknown rlimit \"RLIMIT_FOO\"");
    doc = base();
    doc["process"]["rlimits"][0]["soft"] = 2048;
    EXPECT_SPEC_ERROR(parse_config(doc), "process.rlimits[0]: soft limit 2048 is above hard limit 1024");
    doc = base();
    doc["process"]["rlimits"].push_back({{"type", "RLIMIT_NOFILE"}, {"hard", 1}, {"soft", 1}});
    EXPECT_SPEC_ERROR(parse_config(doc), "process.rlimits[1].type: duplicate rlimit \"RLIMIT_NOFILE\"");
}

TEST(Validate, OomScoreAdjAndUmaskRanges) {
    json doc = base();
    doc["process"]["oomScoreAdj"] = 1001;
    EXPECT_SPEC_ERROR(parse_config(doc), "process.oomScoreAdj: must be between -1000 and 1000, got 1001");
    doc = base();
    doc["process"]["user"]["umask"] = 01000;
    EXPECT_SPEC_ERROR(parse_config(doc), "process.user.umask: must be at most 0777");
}

TEST(Validate, ForCreateRequiresProcess) {
    json doc = base();
    doc.erase("process");
    Config c = parse_config(doc);
    EXPECT_SPEC_ERROR(validate_for_create(c), "process: is required to create a container");
    Config full = parse_config(base());
    EXPECT_NO_THROW(validate_for_create(full));
    full.process->args.clear();
    EXPECT_SPEC_ERROR(validate_for_create(full), "process.args: must be a non-empty array");
    full.process->args = {"sh"};
    full.process->cwd = "";
    EXPECT_SPEC_ERROR(validate_for_create(full), "process.cwd: must be an absolute path");
}

TEST(Validate, NamespaceTypeUnknown) {
    json doc = base();
    ns_list(doc)[2]["type"] = "foo";
    EXPECT_SPEC_ERROR(parse_config(doc), "linux.namespaces[2].type: unknown namespace type \"foo\"");
}

TEST(Validate, NamespaceTypeDuplicate) {
    json doc = base();
    ns_list(doc).push_back({{"type", "pid"}});
    EXPECT_SPEC_ERROR(parse_config(doc), "linux.namespaces[5].type: duplicate namespace type \"pid\"");
}

TEST(Validate, NamespacePathMustBeAbsolute) {
    json doc = base();
    ns_list(doc)[1]["path"] = "netns/foo";
    EXPECT_SPEC_ERROR(parse_config(doc), "linux.namespaces[1].path: must be an absolute path");
}

TEST(Validate, AllNamespaceTypesAccepted) {
    json doc = base();
    ns_list(doc) = json::array();
    for (auto t : {"pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time"})
        ns_list(doc).push_back({{"type", t}});
    doc["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", 1000}, {"size", 1}}};
    doc["linux"]["gidMappings"] = {{{"containerID", 0}, {"hostID", 1000}, {"size", 1}}};
    EXPECT_NO_THROW(parse_config(doc));
}

TEST(Validate, IdMappingsNeedUserNamespace) {
    json doc = base();
    doc["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", 1000}, {"size", 1}}};
    EXPECT_SPEC_ERROR(parse_config(doc), "linux.uidMappings: mappings need a user namespace");
    doc = base();
    doc["linux"]["gidMappings"] = {{{"containerID", 0}, {"hostID", 1000}, {"size", 1}}};
    EXPECT_SPEC_ERROR(parse_config(doc), "linux.gidMappings: mappings need a user namespace");
}

TEST(Validate, NewUserNamespaceNeedsMappings) {
    json doc = load_fixture("runc-spec-rootless.json");
    doc["linux"].erase("gidMappings");
    EXPECT_SPEC_ERROR(parse_config(doc), "linux.gidMappings: a new user namespace needs at least one mapping");
    // Joining an existing one needs none.
    doc["linux"].erase("uidMappings");
    for (auto& ns : ns_list(doc))
        if (ns["type"] == "user") ns["path"] = "/proc/1/ns/user";
    EXPECT_NO_THROW(parse_config(doc));
}

TEST(Validate, IdMappingSizeNonZero) {
    json doc = load_fixture("runc-spec-rootless.json");
    doc["linux"]["uidMappings"][0]["size"] = 0;
    EXPECT_SPEC_ERROR(parse_config(doc), "linux.uidMappings[0].size: must be greater than 0");
}

TEST(Validate, HostnameNeedsUtsNamespace) {
    json doc = base();
    drop_namespace(doc, "uts");
    EXPECT_SPEC_ERROR(parse_config(doc), "hostname: setting it needs a uts namespace");
    doc.erase("hostname");
    EXPECT_NO_THROW(parse_config(doc));
    doc["domainname"] = "example.org";
    EXPECT_SPEC_ERROR(parse_config(doc), "domainname: setting it needs a uts namespace");
}

TEST(Validate, NetSysctlNeedsNetworkNamespace) {
    json doc = base();
    drop_namespace(doc, "network");
    doc["linux"]["sysctl"] = {{"net.ipv4.ip_forward", "1"}};
    EXPECT_SPEC_ERROR(parse_config(doc),
                      "linux.sysctl.net.ipv4.ip_forward: sysctl \"net.ipv4.ip_forward\" needs a network namespace");
}

TEST(Validate, IpcSysctlsNeedIpcNamespace) {
    for (auto key : {"kernel.shmmax", "kernel.shmall", "kernel.shmmni", "kernel.shm_rmid_forced", "kernel.msgmax",
                     "kernel.msgmnb", "kernel.msgmni", "kernel.sem", "kernel.sem_next_id", "kernel.msg_next_id",
                     "kernel.shm_next_id", "fs.mqueue.msg_max", "fs.mqueue.queues_max"}) {
        json doc = base();
        doc["linux"]["sysctl"] = {{key, "1"}};
        EXPECT_NO_THROW(parse_config(doc)) << key;
        drop_namespace(doc, "ipc");
        EXPECT_SPEC_ERROR(parse_config(doc),
                          fmt::format("linux.sysctl.{}: sysctl \"{}\" needs a ipc namespace", key, key));
    }
}

TEST(Validate, UtsSysctlNeedsUtsNamespace) {
    json doc = base();
    doc.erase("hostname");
    drop_namespace(doc, "uts");
    doc["linux"]["sysctl"] = {{"kernel.domainname", "x"}};
    EXPECT_SPEC_ERROR(parse_config(doc), "linux.sysctl.kernel.domainname: sysctl \"kernel.domainname\" needs a uts");
}

TEST(Validate, GlobalSysctlRefused) {
    json doc = base();
    doc["linux"]["sysctl"] = {{"vm.overcommit_memory", "1"}};
    EXPECT_SPEC_ERROR(parse_config(doc),
                      "linux.sysctl.vm.overcommit_memory: sysctl \"vm.overcommit_memory\" is not isolated");
    doc["linux"]["sysctl"] = {{"kernel.pid_max", "100"}};
    EXPECT_SPEC_ERROR(parse_config(doc), "linux.sysctl.kernel.pid_max: sysctl \"kernel.pid_max\" is not isolated");
}

TEST(Validate, TimeOffsetsNeedTimeNamespace) {
    json doc = base();
    doc["linux"]["timeOffsets"] = {{"monotonic", {{"secs", 10}}}};
    EXPECT_SPEC_ERROR(parse_config(doc), "linux.timeOffsets: offsets need a time namespace");
    ns_list(doc).push_back({{"type", "time"}});
    EXPECT_NO_THROW(parse_config(doc));
    doc["linux"]["timeOffsets"] = {{"realtime", {{"secs", 10}}}};
    EXPECT_SPEC_ERROR(parse_config(doc), "linux.timeOffsets.realtime: unknown clock \"realtime\"");
    doc["linux"]["timeOffsets"] = {{"boottime", {{"secs", 1}, {"nanosecs", 1000000000}}}};
    EXPECT_SPEC_ERROR(parse_config(doc), "linux.timeOffsets.boottime.nanosecs: must be below 1000000000");
}

TEST(Validate, MountDestinationMustBeAbsolute) {
    json doc = base();
    doc["mounts"][0]["destination"] = "proc";
    EXPECT_SPEC_ERROR(parse_config(doc), "mounts[0].destination: must be an absolute path");
}

TEST(Validate, HookPathAbsoluteAndTimeoutPositive) {
    json doc = base();
    doc["hooks"]["createRuntime"] = {{{"path", "/bin/true"}}, {{"path", "true"}}};
    EXPECT_SPEC_ERROR(parse_config(doc), "hooks.createRuntime[1].path: must be an absolute path");
    doc = base();
    doc["hooks"]["poststart"] = {{{"path", "/bin/true"}, {"timeout", 0}}};
    EXPECT_SPEC_ERROR(parse_config(doc), "hooks.poststart[0].timeout: must be greater than 0, got 0");
    doc["hooks"]["poststart"][0]["timeout"] = -3;
    EXPECT_SPEC_ERROR(parse_config(doc), "hooks.poststart[0].timeout: must be greater than 0, got -3");
    for (auto kind : {"prestart", "createContainer", "startContainer", "poststop"}) {
        doc = base();
        doc["hooks"][kind] = {{{"path", "rel"}}};
        EXPECT_SPEC_ERROR(parse_config(doc), fmt::format("hooks.{}[0].path: must be an absolute path", kind));
    }
}

TEST(Validate, DeviceTypeAndPath) {
    json doc = base();
    doc["linux"]["devices"] = {{{"type", "x"}, {"path", "/dev/x"}}};
    EXPECT_SPEC_ERROR(parse_config(doc), "linux.devices[0].type: unknown device type \"x\" (want c, b, u or p)");
    doc["linux"]["devices"] = {{{"type", "c"}, {"path", "dev/null"}, {"major", 1}, {"minor", 3}}};
    EXPECT_SPEC_ERROR(parse_config(doc), "linux.devices[0].path: must be an absolute path");
    doc["linux"]["devices"] = {{{"type", "c"}, {"path", "/dev/null"}, {"major", -1}, {"minor", 3}}};
    EXPECT_SPEC_ERROR(parse_config(doc), "linux.devices[0].major: must not be negative");
    doc["linux"]["devices"] = {{{"type", "c"}, {"path", "/dev/null"}, {"major", 1}, {"minor", 3}, {"fileMode", 0170000}}};
    EXPECT_SPEC_ERROR(parse_config(doc), "linux.devices[0].fileMode: must be a permission mode");
}

TEST(Validate, DeviceCgroupRules) {
    json doc = base();
    doc["linux"]["resources"]["devices"].push_back({{"allow", true}, {"type", "z"}, {"access", "r"}});
    EXPECT_SPEC_ERROR(parse_config(doc), "linux.resources.devices[1].type: unknown device type \"z\"");
    doc["linux"]["resources"]["devices"][1] = {{"allow", true}, {"type", "c"}, {"access", "rwx"}};
    EXPECT_SPEC_ERROR(parse_config(doc), "linux.resources.devices[1].access: must be made of r, w and m");
}

TEST(Validate, HugepageAndUnifiedKeys) {
    json doc = base();
    for (auto bad : {"2M", "2mB", "MB", "2TB", "2MBB", "-2MB", ""}) {
        doc["linux"]["resources"]["hugepageLimits"] = {{{"pageSize", bad}, {"limit", 1}}};
        EXPECT_SPEC_ERROR(parse_config(doc), "linux.resources.hugepageLimits[0].pageSize: must look like");
    }
    for (auto ok : {"2MB", "1GB", "64KB", "16GB"}) {
        doc["linux"]["resources"]["hugepageLimits"] = {{{"pageSize", ok}, {"limit", 1}}};
        EXPECT_NO_THROW(parse_config(doc)) << ok;
    }
    doc = base();
    doc["linux"]["resources"]["unified"] = {{"../../memory.max", "1"}};
    EXPECT_SPEC_ERROR(parse_config(doc), "linux.resources.unified: key \"../../memory.max\" must be a cgroup file");
}

TEST(Validate, CgroupsPathForms) {
    json doc = base();
    for (auto ok : {"/myrt/abc", "myrt/abc", "system.slice:myrt:abc", ":myrt:abc", ""}) {
        doc["linux"]["cgroupsPath"] = ok;
        EXPECT_NO_THROW(parse_config(doc)) << ok;
    }
    doc["linux"]["cgroupsPath"] = "a:b";
    EXPECT_SPEC_ERROR(parse_config(doc), "linux.cgroupsPath: \"a:b\" must be a path or the systemd form");
    doc["linux"]["cgroupsPath"] = "system.slice:myrt:";
    EXPECT_SPEC_ERROR(parse_config(doc), "linux.cgroupsPath:");
    doc["linux"]["cgroupsPath"] = "system:myrt:abc";
    EXPECT_SPEC_ERROR(parse_config(doc), "linux.cgroupsPath: slice \"system\"");
}

TEST(Validate, RootfsPropagation) {
    json doc = base();
    doc["linux"]["rootfsPropagation"] = "rprivate";
    EXPECT_NO_THROW(parse_config(doc));
    doc["linux"]["rootfsPropagation"] = "recursive";
    EXPECT_SPEC_ERROR(parse_config(doc), "linux.rootfsPropagation: unknown propagation \"recursive\"");
}

TEST(Validate, PersonalityDomain) {
    json doc = base();
    doc["linux"]["personality"] = {{"domain", "LINUX"}};
    EXPECT_NO_THROW(parse_config(doc));
    doc["linux"]["personality"] = {{"domain", "BSD"}};
    EXPECT_SPEC_ERROR(parse_config(doc), "linux.personality.domain: unknown domain \"BSD\"");
}

TEST(Validate, MaskedAndReadonlyPathsAbsolute) {
    json doc = base();
    doc["linux"]["maskedPaths"][3] = "proc/keys";
    EXPECT_SPEC_ERROR(parse_config(doc), "linux.maskedPaths[3]: must be an absolute path");
    doc = base();
    doc["linux"]["readonlyPaths"][0] = "";
    EXPECT_SPEC_ERROR(parse_config(doc), "linux.readonlyPaths[0]: must be an absolute path");
}

namespace {
json with_seccomp(json seccomp) {
    json doc = base();
    doc["linux"]["seccomp"] = std::move(seccomp);
    return doc;
}
}  // namespace

TEST(ValidateSeccomp, AllActionsAccepted) {
    for (auto action : {"SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP",
                        "SCMP_ACT_ERRNO", "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW", "SCMP_ACT_LOG"}) {
        EXPECT_NO_THROW(parse_config(with_seccomp({{"defaultAction", action}}))) << action;
        EXPECT_NO_THROW(parse_config(with_seccomp(
            {{"defaultAction", "SCMP_ACT_ALLOW"}, {"syscalls", {{{"names", {"read"}}, {"action", action}}}}})))
            << action;
    }
}

TEST(ValidateSeccomp, UnknownDefaultAction) {
    EXPECT_SPEC_ERROR(parse_config(with_seccomp({{"defaultAction", "SCMP_ACT_DENY"}})),
                      "linux.seccomp.defaultAction: unknown action \"SCMP_ACT_DENY\"");
}

TEST(ValidateSeccomp, UnknownSyscallAction) {
    EXPECT_SPEC_ERROR(parse_config(with_seccomp({{"defaultAction", "SCMP_ACT_ALLOW"},
                                                 {"syscalls",
                                                  {{{"names", {"read"}}, {"action", "SCMP_ACT_ALLOW"}},
                                                   {{"names", {"write"}}, {"action", "allow"}}}}})),
                      "linux.seccomp.syscalls[1].action: unknown action \"allow\"");
}

TEST(ValidateSeccomp, NotifyRules) {
    EXPECT_SPEC_ERROR(parse_config(with_seccomp({{"defaultAction", "SCMP_ACT_NOTIFY"}})),
                      "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action");
    EXPECT_SPEC_ERROR(parse_config(with_seccomp({{"defaultAction", "SCMP_ACT_ALLOW"},
                                                 {"syscalls", {{{"names", {"mkdir"}}, {"action", "SCMP_ACT_NOTIFY"}}}}})),
                      "linux.seccomp.listenerPath: required when a syscall uses SCMP_ACT_NOTIFY");
    EXPECT_SPEC_ERROR(parse_config(with_seccomp({{"defaultAction", "SCMP_ACT_ALLOW"}, {"listenerPath", "agent.sock"}})),
                      "linux.seccomp.listenerPath: must be an absolute path");
}

TEST(ValidateSeccomp, ErrnoRetOnlyWithErrnoOrTrace) {
    EXPECT_SPEC_ERROR(parse_config(with_seccomp({{"defaultAction", "SCMP_ACT_KILL"}, {"defaultErrnoRet", 1}})),
                      "linux.seccomp.defaultErrnoRet: only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE");
    EXPECT_SPEC_ERROR(
        parse_config(with_seccomp({{"defaultAction", "SCMP_ACT_ERRNO"},
                                   {"syscalls", {{{"names", {"read"}}, {"action", "SCMP_ACT_ALLOW"}, {"errnoRet", 1}}}}})),
        "linux.seccomp.syscalls[0].errnoRet: only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not SCMP_ACT_ALLOW");
    EXPECT_NO_THROW(parse_config(with_seccomp({{"defaultAction", "SCMP_ACT_TRACE"}, {"defaultErrnoRet", 1}})));
}

TEST(ValidateSeccomp, Operators) {
    for (auto op : {"SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT",
                    "SCMP_CMP_MASKED_EQ"}) {
        json sc = {{"names", {"read"}}, {"action", "SCMP_ACT_ALLOW"}, {"args", {{{"index", 0}, {"value", 1}, {"op", op}}}}};
        EXPECT_NO_THROW(parse_config(with_seccomp({{"defaultAction", "SCMP_ACT_ERRNO"}, {"syscalls", {sc}}}))) << op;
    }
    json sc = {{"names", {"read"}},
               {"action", "SCMP_ACT_ALLOW"},
               {"args", {{{"index", 0}, {"value", 1}, {"op", "SCMP_CMP_EQ"}}, {{"index", 1}, {"op", "EQ"}}}}};
    EXPECT_SPEC_ERROR(parse_config(with_seccomp({{"defaultAction", "SCMP_ACT_ERRNO"}, {"syscalls", {sc}}})),
                      "linux.seccomp.syscalls[0].args[1].op: unknown operator \"EQ\"");
}

TEST(ValidateSeccomp, ArgIndexAtMostFive) {
    json sc = {{"names", {"read"}}, {"action", "SCMP_ACT_ALLOW"}, {"args", {{{"index", 6}, {"op", "SCMP_CMP_EQ"}}}}};
    EXPECT_SPEC_ERROR(parse_config(with_seccomp({{"defaultAction", "SCMP_ACT_ERRNO"}, {"syscalls", {sc}}})),
                      "linux.seccomp.syscalls[0].args[0].index: must be between 0 and 5, got 6");
}

TEST(ValidateSeccomp, Architectures) {
    EXPECT_NO_THROW(parse_config(with_seccomp(
        {{"defaultAction", "SCMP_ACT_ALLOW"}, {"architectures", {"SCMP_ARCH_X86_64", "SCMP_ARCH_AARCH64"}}})));
    EXPECT_SPEC_ERROR(parse_config(with_seccomp(
                          {{"defaultAction", "SCMP_ACT_ALLOW"}, {"architectures", {"SCMP_ARCH_X86", "x86_64"}}})),
                      "linux.seccomp.architectures[1]: unknown architecture \"x86_64\"");
}

TEST(ValidateSeccomp, Flags) {
    EXPECT_NO_THROW(parse_config(with_seccomp(
        {{"defaultAction", "SCMP_ACT_ALLOW"},
         {"flags",
          {"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
           "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"}}})));
    EXPECT_SPEC_ERROR(parse_config(with_seccomp({{"defaultAction", "SCMP_ACT_ALLOW"},
                                                 {"flags", {"SECCOMP_FILTER_FLAG_NEW_LISTENER"}}})),
                      "linux.seccomp.flags[0]: unknown flag \"SECCOMP_FILTER_FLAG_NEW_LISTENER\"");
}

TEST(ValidateSeccomp, EmptySyscallName) {
    json sc = {{"names", {"read", ""}}, {"action", "SCMP_ACT_ALLOW"}};
    EXPECT_SPEC_ERROR(parse_config(with_seccomp({{"defaultAction", "SCMP_ACT_ERRNO"}, {"syscalls", {sc}}})),
                      "linux.seccomp.syscalls[0].names[1]: must not be empty");
}

TEST(Validate, TypedModelCanBeValidatedDirectly) {
    Config c = parse_config(base());
    c.linux.namespaces.push_back({"bogus", ""});
    EXPECT_SPEC_ERROR(validate_config(c), "linux.namespaces[5].type: unknown namespace type \"bogus\"");
}
