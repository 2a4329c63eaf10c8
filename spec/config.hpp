#pragma once
// Typed model of an OCI runtime-spec 1.1 config.json (Linux parts).
// Parsing and validation live in spec/parse.cpp and spec/validate.cpp; every
// error names the JSON path that is wrong (`process.args: must be a non-empty array`).
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace myrt::spec {

struct Root {
    std::string path;
    bool readonly = false;
    bool operator==(const Root&) const = default;
};

struct User {
    uint32_t uid = 0;
    uint32_t gid = 0;
    std::optional<uint32_t> umask;
    std::vector<uint32_t> additional_gids;
    bool operator==(const User&) const = default;
};

struct Capabilities {
    std::vector<std::string> bounding, effective, inheritable, permitted, ambient;
    bool operator==(const Capabilities&) const = default;
};

struct Rlimit {
    std::string type;  // "RLIMIT_NOFILE"
    uint64_t hard = 0;
    uint64_t soft = 0;
    bool operator==(const Rlimit&) const = default;
};

struct ConsoleSize {
    uint32_t height = 0;
    uint32_t width = 0;
    bool operator==(const ConsoleSize&) const = default;
};

// process.scheduler: sched_setattr(2)'s fields by their names (runtime-spec 1.2).
struct Scheduler {
    std::string policy;               // SCHED_OTHER, SCHED_FIFO, SCHED_RR, SCHED_BATCH, SCHED_ISO, SCHED_IDLE, SCHED_DEADLINE
    int nice = 0;                     // -20..19
    int priority = 0;                 // the static priority of SCHED_FIFO and SCHED_RR
    std::vector<std::string> flags;   // SCHED_FLAG_RESET_ON_FORK, ...
    uint64_t runtime = 0, deadline = 0, period = 0;  // SCHED_DEADLINE, in nanoseconds
    bool operator==(const Scheduler&) const = default;
};

// process.ioPriority: ioprio_set(2)'s class and level.
struct IoPriority {
    std::string io_class;  // IOPRIO_CLASS_RT, IOPRIO_CLASS_BE, IOPRIO_CLASS_IDLE
    int priority = 0;      // 0 (highest) .. 7
    bool operator==(const IoPriority&) const = default;
};

// process.execCPUAffinity: CPU lists ("0-3,7") the process runs on before it joins the
// container's cgroup (initial) and from then on (final); empty = not given.
struct ExecCpuAffinity {
    std::string initial;
    std::string final_cpus;
    bool operator==(const ExecCpuAffinity&) const = default;
};

struct Process {
    bool terminal = false;
    std::optional<ConsoleSize> console_size;
    User user;
    std::vector<std::string> args;
    std::vector<std::string> env;
    std::string cwd = "/";
    std::optional<Capabilities> capabilities;
    std::vector<Rlimit> rlimits;
    bool no_new_privileges = false;
    std::string apparmor_profile;
    std::optional<int> oom_score_adj;
    std::string selinux_label;
    std::optional<Scheduler> scheduler;
    std::optional<IoPriority> io_priority;
    std::optional<ExecCpuAffinity> exec_cpu_affinity;
    bool operator==(const Process&) const = default;
};

struct Mount {
    std::string destination;
    std::string type;
    std::string source;
    std::vector<std::string> options;
    bool operator==(const Mount&) const = default;
};

struct Hook {
    std::string path;
    std::vector<std::string> args;
    // Absent: the hook gets the runtime's own environment, as runc's do; [] is empty.
    std::optional<std::vector<std::string>> env;
    std::optional<int> timeout;  // seconds, > 0
    bool operator==(const Hook&) const = default;
};

struct Hooks {
    std::vector<Hook> prestart, create_runtime, create_container, start_container, poststart, poststop;
    bool operator==(const Hooks&) const = default;
};

struct Namespace {
    std::string type;  // pid, network, mount, ipc, uts, user, cgroup, time
    std::string path;  // empty: create a new one
    bool operator==(const Namespace&) const = default;
};

struct IdMapping {
    uint32_t container_id = 0;
    uint32_t host_id = 0;
    uint32_t size = 0;
    bool operator==(const IdMapping&) const = default;
};

struct Device {
    std::string type;  // c, b, u, p
    std::string path;
    int64_t major = 0;
    int64_t minor = 0;
    std::optional<uint32_t> file_mode;
    std::optional<uint32_t> uid;
    std::optional<uint32_t> gid;
    bool operator==(const Device&) const = default;
};

struct DeviceCgroupRule {
    bool allow = false;
    std::string type;  // a, c, b ("" means all)
    std::optional<int64_t> major;
    std::optional<int64_t> minor;
    std::string access;  // rwm
    bool operator==(const DeviceCgroupRule&) const = default;
};

struct MemoryResources {
    std::optional<int64_t> limit, reservation, swap, kernel, kernel_tcp;
    std::optional<uint64_t> swappiness;
    std::optional<bool> disable_oom_killer, use_hierarchy, check_before_update;
    bool operator==(const MemoryResources&) const = default;
};

struct CpuResources {
    std::optional<uint64_t> shares;
    std::optional<int64_t> quota;
    std::optional<uint64_t> burst;
    std::optional<uint64_t> period;
    std::optional<int64_t> realtime_runtime;
    std::optional<uint64_t> realtime_period;
    std::string cpus;
    std::string mems;
    std::optional<int64_t> idle;
    bool operator==(const CpuResources&) const = default;
};

struct PidsResources {
    int64_t limit = 0;
    bool operator==(const PidsResources&) const = default;
};

struct BlockIoDevice {
    int64_t major = 0;
    int64_t minor = 0;
    bool operator==(const BlockIoDevice&) const = default;
};
struct WeightDevice : BlockIoDevice {
    std::optional<uint16_t> weight, leaf_weight;
    bool operator==(const WeightDevice&) const = default;
};
struct ThrottleDevice : BlockIoDevice {
    uint64_t rate = 0;
    bool operator==(const ThrottleDevice&) const = default;
};

struct BlockIoResources {
    std::optional<uint16_t> weight, leaf_weight;
    std::vector<WeightDevice> weight_device;
    std::vector<ThrottleDevice> throttle_read_bps_device, throttle_write_bps_device,
        throttle_read_iops_device, throttle_write_iops_device;
    bool operator==(const BlockIoResources&) const = default;
};

struct HugepageLimit {
    std::string page_size;  // "2MB"
    uint64_t limit = 0;
    bool operator==(const HugepageLimit&) const = default;
};

struct Resources {
    std::vector<DeviceCgroupRule> devices;
    std::optional<MemoryResources> memory;
    std::optional<CpuResources> cpu;
    std::optional<PidsResources> pids;
    std::optional<BlockIoResources> block_io;
    std::vector<HugepageLimit> hugepage_limits;
    std::map<std::string, std::string> unified;  // cgroup v2 key -> value
    bool operator==(const Resources&) const = default;
};

struct SeccompArg {
    uint32_t index = 0;
    uint64_t value = 0;
    uint64_t value_two = 0;
    std::string op;  // SCMP_CMP_EQ ...
    bool operator==(const SeccompArg&) const = default;
};

struct SeccompSyscall {
    std::vector<std::string> names;
    std::string action;  // SCMP_ACT_ERRNO ...
    std::optional<uint32_t> errno_ret;
    std::vector<SeccompArg> args;
    bool operator==(const SeccompSyscall&) const = default;
};

struct Seccomp {
    std::string default_action;
    std::optional<uint32_t> default_errno_ret;
    std::vector<std::string> architectures;
    std::vector<std::string> flags;
    std::string listener_path;
    std::string listener_metadata;
    std::vector<SeccompSyscall> syscalls;
    bool operator==(const Seccomp&) const = default;
};

struct Personality {
    std::string domain;  // LINUX, LINUX32
    std::vector<std::string> flags;
    bool operator==(const Personality&) const = default;
};

struct TimeOffset {
    int64_t secs = 0;
    uint32_t nanosecs = 0;
    bool operator==(const TimeOffset&) const = default;
};

struct Linux {
    std::vector<Namespace> namespaces;
    std::vector<IdMapping> uid_mappings, gid_mappings;
    std::map<std::string, TimeOffset> time_offsets;  // "monotonic", "boottime"
    std::vector<Device> devices;
    std::string cgroups_path;
    std::optional<Resources> resources;
    std::string rootfs_propagation;
    std::optional<Seccomp> seccomp;
    std::map<std::string, std::string> sysctl;
    std::vector<std::string> masked_paths;
    std::vector<std::string> readonly_paths;
    std::string mount_label;
    std::optional<Personality> personality;

    const Namespace* find_namespace(const std::string& type) const {
        for (auto& ns : namespaces)
            if (ns.type == type) return &ns;
        return nullptr;
    }
    bool operator==(const Linux&) const = default;
};

struct Config {
    std::string oci_version;
    std::optional<Process> process;
    Root root;
    std::string hostname;
    std::string domainname;
    std::vector<Mount> mounts;
    Hooks hooks;
    std::map<std::string, std::string> annotations;
    Linux linux;
    nlohmann::json raw;  // the document as read, for callers that need unknown fields
    bool operator==(const Config&) const = default;
};

// Parses and validates a config.json document; throws myrt::Error whose
// message starts with the JSON path that is wrong.
Config parse_config(const nlohmann::json& doc);
// Reads BUNDLE/config.json (or a path to a file) and parses it.
Config load_config(const std::string& path);
// A process.json for `exec --process` (the "process" object alone).
Process parse_process(const nlohmann::json& doc);
// LinuxResources JSON as `update --resources` receives it.
Resources parse_resources(const nlohmann::json& doc);

// Semantic checks runc makes (namespaces, sysctls, seccomp names, hooks...);
// parse_config runs it, and checks process only when it is present.
void validate_config(const Config& config);
// What create/run/restore need on top: a process with non-empty args and an absolute cwd.
void validate_for_create(const Config& config);
// Which namespace type isolates a sysctl key ("ipc", "network", "uts"), after
// runc's list; nullopt means the key is global and a container must not set it.
std::optional<std::string> sysctl_namespace(const std::string& key);
// Checks one process object; `path` prefixes error messages ("process").
void validate_process(const Process& process, const std::string& path = "process");
// Checks a resources object; `path` prefixes error messages ("linux.resources").
void validate_resources(const Resources& resources, const std::string& path = "linux.resources");

// Back to OCI JSON (Go omitempty rules, as runc writes it): what the runtime
// saves beside a checkpoint, and what round-trip tests compare.
nlohmann::json config_to_json(const Config& config);
nlohmann::json process_to_json(const Process& process);
nlohmann::json resources_to_json(const Resources& resources);

// The default config.json that `myrt spec` writes (runc's defaults);
// rootless selects the user-namespace variant (`spec --rootless`);
// cgroup_namespace adds one, which runc does only on a pure cgroup v2 host.
nlohmann::json default_spec(bool rootless = false, bool cgroup_namespace = false);
// The OCI features document `myrt features` prints.
nlohmann::json features();

}  // namespace myrt::spec
