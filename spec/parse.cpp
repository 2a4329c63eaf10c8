// config.json -> typed model. Only structure and JSON types are checked here;
// semantic rules live in validate.cpp. Unknown fields are ignored (forward
// compatibility, as runc does); `raw` keeps them for callers that need them.
#include <filesystem>
#include <fstream>
#include <sstream>

#include "spec/config.hpp"
#include "spec/json_reader.hpp"

namespace myrt::spec {
namespace {

ConsoleSize parse_console_size(const JsonReader& r) {
    r.require_object();
    ConsoleSize size;
    size.height = r.get_int<uint32_t>("height").value_or(0);
    size.width = r.get_int<uint32_t>("width").value_or(0);
    return size;
}

User parse_user(const JsonReader& r) {
    r.require_object();
    User user;
    user.uid = r.get_int<uint32_t>("uid").value_or(0);
    user.gid = r.get_int<uint32_t>("gid").value_or(0);
    user.umask = r.get_int<uint32_t>("umask");
    if (auto gids = r.get("additionalGids")) user.additional_gids = gids->as_int_array<uint32_t>();
    return user;
}

Capabilities parse_capabilities(const JsonReader& r) {
    r.require_object();
    Capabilities caps;
    caps.bounding = r.get_string_array("bounding");
    caps.effective = r.get_string_array("effective");
    caps.inheritable = r.get_string_array("inheritable");
    caps.permitted = r.get_string_array("permitted");
    caps.ambient = r.get_string_array("ambient");
    return caps;
}

Rlimit parse_rlimit(const JsonReader& r) {
    r.require_object();
    Rlimit limit;
    limit.type = r.required("type").as_string();
    limit.hard = r.required("hard").as_int<uint64_t>();
    limit.soft = r.required("soft").as_int<uint64_t>();
    return limit;
}

Process parse_process_at(const JsonReader& r) {
    r.require_object();
    Process p;
    p.terminal = r.get_bool("terminal").value_or(false);
    if (auto cs = r.get("consoleSize")) p.console_size = parse_console_size(*cs);
    if (auto user = r.get("user")) p.user = parse_user(*user);
    if (auto args = r.get("args")) {
        if (!args->json().is_array()) args->error("must be a non-empty array");
        p.args = args->as_string_array();
    }
    p.env = r.get_string_array("env");
    if (auto cwd = r.get("cwd")) p.cwd = cwd->as_string();
    if (auto caps = r.get("capabilities")) p.capabilities = parse_capabilities(*caps);
    if (auto rlimits = r.get("rlimits"))
        rlimits->for_each([&](const JsonReader& item, size_t) { p.rlimits.push_back(parse_rlimit(item)); });
    p.no_new_privileges = r.get_bool("noNewPrivileges").value_or(false);
    p.apparmor_profile = r.get_string("apparmorProfile").value_or("");
    p.oom_score_adj = r.get_int<int>("oomScoreAdj");
    p.selinux_label = r.get_string("selinuxLabel").value_or("");
    if (auto s = r.get("scheduler")) {
        s->require_object();
        Scheduler sched;
        sched.policy = s->required("policy").as_string();
        sched.nice = s->get_int<int>("nice").value_or(0);
        sched.priority = s->get_int<int>("priority").value_or(0);
        sched.flags = s->get_string_array("flags");
        sched.runtime = s->get_int<uint64_t>("runtime").value_or(0);
        sched.deadline = s->get_int<uint64_t>("deadline").value_or(0);
        sched.period = s->get_int<uint64_t>("period").value_or(0);
        p.scheduler = sched;
    }
    if (auto io = r.get("ioPriority")) {
        io->require_object();
        p.io_priority = IoPriority{io->required("class").as_string(), io->get_int<int>("priority").value_or(0)};
    }
    if (auto aff = r.get("execCPUAffinity")) {
        aff->require_object();
        p.exec_cpu_affinity = ExecCpuAffinity{aff->get_string("initial").value_or(""), aff->get_string("final").value_or("")};
    }
    return p;
}

Mount parse_mount(const JsonReader& r) {
    r.require_object();
    Mount m;
    m.destination = r.required("destination").as_string();
    m.type = r.get_string("type").value_or("");
    m.source = r.get_string("source").value_or("");
    m.options = r.get_string_array("options");
    return m;
}

Hook parse_hook(const JsonReader& r) {
    r.require_object();
    Hook h;
    h.path = r.required("path").as_string();
    h.args = r.get_string_array("args");
    if (r.has("env")) h.env = r.get_string_array("env");
    h.timeout = r.get_int<int>("timeout");
    return h;
}

Hooks parse_hooks(const JsonReader& r) {
    r.require_object();
    Hooks hooks;
    auto list = [&](std::string_view key, std::vector<Hook>& out) {
        if (auto items = r.get(key))
            items->for_each([&](const JsonReader& item, size_t) { out.push_back(parse_hook(item)); });
    };
    list("prestart", hooks.prestart);
    list("createRuntime", hooks.create_runtime);
    list("createContainer", hooks.create_container);
    list("startContainer", hooks.start_container);
    list("poststart", hooks.poststart);
    list("poststop", hooks.poststop);
    return hooks;
}

Namespace parse_namespace(const JsonReader& r) {
    r.require_object();
    Namespace ns;
    ns.type = r.required("type").as_string();
    ns.path = r.get_string("path").value_or("");
    return ns;
}

IdMapping parse_id_mapping(const JsonReader& r) {
    r.require_object();
    IdMapping m;
    m.container_id = r.required("containerID").as_int<uint32_t>();
    m.host_id = r.required("hostID").as_int<uint32_t>();
    m.size = r.required("size").as_int<uint32_t>();
    return m;
}

Device parse_device(const JsonReader& r) {
    r.require_object();
    Device d;
    d.type = r.required("type").as_string();
    d.path = r.required("path").as_string();
    // Character, block and unbuffered devices are made with mknod, which needs
    // both numbers; a FIFO has none. Checked here because the model cannot tell
    // a missing number from 0.
    bool needs_numbers = d.type == "c" || d.type == "b" || d.type == "u";
    for (auto key : {"major", "minor"})
        if (needs_numbers && !r.has(key))
            JsonReader(r.json(), r.child_path(key)).error("is required for a device of type \"{}\"", d.type);
    d.major = r.get_int<int64_t>("major").value_or(0);
    d.minor = r.get_int<int64_t>("minor").value_or(0);
    d.file_mode = r.get_int<uint32_t>("fileMode");
    d.uid = r.get_int<uint32_t>("uid");
    d.gid = r.get_int<uint32_t>("gid");
    return d;
}

DeviceCgroupRule parse_device_rule(const JsonReader& r) {
    r.require_object();
    DeviceCgroupRule rule;
    rule.allow = r.required("allow").as_bool();
    rule.type = r.get_string("type").value_or("");
    rule.major = r.get_int<int64_t>("major");
    rule.minor = r.get_int<int64_t>("minor");
    rule.access = r.get_string("access").value_or("");
    return rule;
}

MemoryResources parse_memory(const JsonReader& r) {
    r.require_object();
    MemoryResources m;
    m.limit = r.get_int<int64_t>("limit");
    m.reservation = r.get_int<int64_t>("reservation");
    m.swap = r.get_int<int64_t>("swap");
    m.kernel = r.get_int<int64_t>("kernel");
    m.kernel_tcp = r.get_int<int64_t>("kernelTCP");
    m.swappiness = r.get_int<uint64_t>("swappiness");
    m.disable_oom_killer = r.get_bool("disableOOMKiller");
    m.use_hierarchy = r.get_bool("useHierarchy");
    m.check_before_update = r.get_bool("checkBeforeUpdate");
    return m;
}

CpuResources parse_cpu(const JsonReader& r) {
    r.require_object();
    CpuResources c;
    c.shares = r.get_int<uint64_t>("shares");
    c.quota = r.get_int<int64_t>("quota");
    c.burst = r.get_int<uint64_t>("burst");
    c.period = r.get_int<uint64_t>("period");
    c.realtime_runtime = r.get_int<int64_t>("realtimeRuntime");
    c.realtime_period = r.get_int<uint64_t>("realtimePeriod");
    c.cpus = r.get_string("cpus").value_or("");
    c.mems = r.get_string("mems").value_or("");
    c.idle = r.get_int<int64_t>("idle");
    return c;
}

template <class T>
void parse_block_device_numbers(const JsonReader& r, T& dev) {
    dev.major = r.required("major").as_int<int64_t>();
    dev.minor = r.required("minor").as_int<int64_t>();
}

BlockIoResources parse_block_io(const JsonReader& r) {
    r.require_object();
    BlockIoResources b;
    b.weight = r.get_int<uint16_t>("weight");
    b.leaf_weight = r.get_int<uint16_t>("leafWeight");
    if (auto devices = r.get("weightDevice"))
        devices->for_each([&](const JsonReader& item, size_t) {
            item.require_object();
            WeightDevice dev;
            parse_block_device_numbers(item, dev);
            dev.weight = item.get_int<uint16_t>("weight");
            dev.leaf_weight = item.get_int<uint16_t>("leafWeight");
            b.weight_device.push_back(dev);
        });
    auto throttle = [&](std::string_view key, std::vector<ThrottleDevice>& out) {
        if (auto devices = r.get(key))
            devices->for_each([&](const JsonReader& item, size_t) {
                item.require_object();
                ThrottleDevice dev;
                parse_block_device_numbers(item, dev);
                dev.rate = item.required("rate").as_int<uint64_t>();
                out.push_back(dev);
            });
    };
    throttle("throttleReadBpsDevice", b.throttle_read_bps_device);
    throttle("throttleWriteBpsDevice", b.throttle_write_bps_device);
    throttle("throttleReadIOPSDevice", b.throttle_read_iops_device);
    throttle("throttleWriteIOPSDevice", b.throttle_write_iops_device);
    return b;
}

Resources parse_resources_at(const JsonReader& r) {
    r.require_object();
    Resources res;
    if (auto devices = r.get("devices"))
        devices->for_each([&](const JsonReader& item, size_t) { res.devices.push_back(parse_device_rule(item)); });
    if (auto memory = r.get("memory")) res.memory = parse_memory(*memory);
    if (auto cpu = r.get("cpu")) res.cpu = parse_cpu(*cpu);
    if (auto pids = r.get("pids")) {
        pids->require_object();
        // Optional since runtime-spec 1.3: absent leaves the limit as it is.
        if (auto limit = pids->get("limit")) res.pids = PidsResources{limit->as_int<int64_t>()};
    }
    if (auto block_io = r.get("blockIO")) res.block_io = parse_block_io(*block_io);
    if (auto pages = r.get("hugepageLimits"))
        pages->for_each([&](const JsonReader& item, size_t) {
            item.require_object();
            HugepageLimit limit;
            limit.page_size = item.required("pageSize").as_string();
            limit.limit = item.required("limit").as_int<uint64_t>();
            res.hugepage_limits.push_back(limit);
        });
    if (auto unified = r.get("unified")) res.unified = unified->as_string_map();
    return res;
}

SeccompArg parse_seccomp_arg(const JsonReader& r) {
    r.require_object();
    SeccompArg arg;
    arg.index = r.required("index").as_int<uint32_t>();
    arg.value = r.get_int<uint64_t>("value").value_or(0);
    arg.value_two = r.get_int<uint64_t>("valueTwo").value_or(0);
    arg.op = r.required("op").as_string();
    return arg;
}

SeccompSyscall parse_seccomp_syscall(const JsonReader& r) {
    r.require_object();
    SeccompSyscall sc;
    auto names = r.required("names");
    sc.names = names.as_string_array();
    if (sc.names.empty()) names.error("must be a non-empty array");
    sc.action = r.required("action").as_string();
    sc.errno_ret = r.get_int<uint32_t>("errnoRet");
    if (auto args = r.get("args"))
        args->for_each([&](const JsonReader& item, size_t) { sc.args.push_back(parse_seccomp_arg(item)); });
    return sc;
}

Seccomp parse_seccomp(const JsonReader& r) {
    r.require_object();
    Seccomp s;
    s.default_action = r.required("defaultAction").as_string();
    s.default_errno_ret = r.get_int<uint32_t>("defaultErrnoRet");
    s.architectures = r.get_string_array("architectures");
    s.flags = r.get_string_array("flags");
    s.listener_path = r.get_string("listenerPath").value_or("");
    s.listener_metadata = r.get_string("listenerMetadata").value_or("");
    if (auto syscalls = r.get("syscalls"))
        syscalls->for_each(
            [&](const JsonReader& item, size_t) { s.syscalls.push_back(parse_seccomp_syscall(item)); });
    return s;
}

Linux parse_linux(const JsonReader& r) {
    r.require_object();
    Linux l;
    if (auto nss = r.get("namespaces"))
        nss->for_each([&](const JsonReader& item, size_t) { l.namespaces.push_back(parse_namespace(item)); });
    auto mappings = [&](std::string_view key, std::vector<IdMapping>& out) {
        if (auto items = r.get(key))
            items->for_each([&](const JsonReader& item, size_t) { out.push_back(parse_id_mapping(item)); });
    };
    mappings("uidMappings", l.uid_mappings);
    mappings("gidMappings", l.gid_mappings);
    if (auto offsets = r.get("timeOffsets")) {
        offsets->require_object();
        for (auto& [clock, value] : offsets->json().items()) {
            JsonReader item(value, offsets->child_path(clock));
            item.require_object();
            TimeOffset off;
            off.secs = item.get_int<int64_t>("secs").value_or(0);
            off.nanosecs = item.get_int<uint32_t>("nanosecs").value_or(0);
            l.time_offsets[clock] = off;
        }
    }
    if (auto devices = r.get("devices"))
        devices->for_each([&](const JsonReader& item, size_t) { l.devices.push_back(parse_device(item)); });
    l.cgroups_path = r.get_string("cgroupsPath").value_or("");
    if (auto res = r.get("resources")) l.resources = parse_resources_at(*res);
    l.rootfs_propagation = r.get_string("rootfsPropagation").value_or("");
    if (auto seccomp = r.get("seccomp")) l.seccomp = parse_seccomp(*seccomp);
    if (auto sysctl = r.get("sysctl")) l.sysctl = sysctl->as_string_map();
    l.masked_paths = r.get_string_array("maskedPaths");
    l.readonly_paths = r.get_string_array("readonlyPaths");
    l.mount_label = r.get_string("mountLabel").value_or("");
    if (auto pers = r.get("personality")) {
        pers->require_object();
        Personality p;
        p.domain = pers->required("domain").as_string();
        p.flags = pers->get_string_array("flags");
        l.personality = p;
    }
    return l;
}

Config parse_config_unvalidated(const nlohmann::json& doc) {
    JsonReader r(doc, "");
    if (!doc.is_object()) r.error("config: must be a JSON object, got {}", doc.type_name());
    Config c;
    c.raw = doc;
    c.oci_version = r.required("ociVersion").as_string();
    if (auto process = r.get("process")) c.process = parse_process_at(*process);
    if (auto root = r.get("root")) {
        root->require_object();
        c.root.path = root->required("path").as_string();
        c.root.readonly = root->get_bool("readonly").value_or(false);
    }
    c.hostname = r.get_string("hostname").value_or("");
    c.domainname = r.get_string("domainname").value_or("");
    if (auto mounts = r.get("mounts"))
        mounts->for_each([&](const JsonReader& item, size_t) { c.mounts.push_back(parse_mount(item)); });
    if (auto hooks = r.get("hooks")) c.hooks = parse_hooks(*hooks);
    if (auto ann = r.get("annotations")) c.annotations = ann->as_string_map();
    if (auto linux_section = r.get("linux")) c.linux = parse_linux(*linux_section);
    return c;
}

}  // namespace

Config parse_config(const nlohmann::json& doc) {
    Config c = parse_config_unvalidated(doc);
    validate_config(c);
    return c;
}

Config load_config(const std::string& path) {
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::path file = path;
    if (fs::is_directory(file, ec)) file /= "config.json";
    std::ifstream in(file);
    if (!in) {
        int e = errno;
        if (!fs::exists(file, ec)) fail("{}: config file does not exist", file.string());
        throw SystemError(e, fmt::format("{}: cannot open config file", file.string()));
    }
    std::stringstream text;
    text << in.rdbuf();
    nlohmann::json doc;
    try {
        doc = nlohmann::json::parse(text.str());
    } catch (const nlohmann::json::exception& e) {
        // parse_error, and out_of_range for a number too large for a double
        // ("1e999"); nlohmann's message carries the byte offset.
        fail("{}: invalid JSON: {}", file.string(), e.what());
    }
    try {
        return parse_config(doc);
    } catch (const Error& e) {
        fail("{}: {}", file.string(), e.what());
    }
}

Process parse_process(const nlohmann::json& doc) {
    Process p = parse_process_at(JsonReader(doc, "process"));
    validate_process(p, "process");
    return p;
}

Resources parse_resources(const nlohmann::json& doc) {
    Resources res = parse_resources_at(JsonReader(doc, "resources"));
    validate_resources(res, "resources");
    return res;
}

}  // namespace myrt::spec
