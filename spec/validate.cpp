// Semantic checks on a parsed config, the ones runc makes before it creates
// anything, so a bad bundle fails early with the JSON path that is wrong.
#include <set>
#include <string_view>

#include "spec/config.hpp"
#include "spec/linux_names.hpp"
#include "spec/seccomp_names.hpp"
#include "util/error.hpp"

namespace myrt::spec {
namespace {

bool is_absolute(const std::string& path) { return !path.empty() && path.front() == '/'; }

void require_absolute(const std::string& path, const std::string& where) {
    if (!is_absolute(path)) fail("{}: must be an absolute path, got \"{}\"", where, path);
}

std::string indexed(const std::string& base, size_t i) { return fmt::format("{}[{}]", base, i); }

bool has_namespace(const Linux& linux_cfg, const std::string& type) {
    return linux_cfg.find_namespace(type) != nullptr;
}

// Hand-written matchers, not std::regex: building one costs a fraction of a
// millisecond, paid by every `myrt create`.
size_t skip_digits(std::string_view s, size_t i) {
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    return i;
}

// 1.MINOR.PATCH, optionally followed by -suffix or +build.
bool is_version_1x(std::string_view v) {
    if (!v.starts_with("1.")) return false;
    size_t i = skip_digits(v, 2);
    if (i == 2 || i >= v.size() || v[i] != '.') return false;
    size_t j = skip_digits(v, i + 1);
    return j > i + 1 && (j == v.size() || v[j] == '-' || v[j] == '+');
}

// A number of K, M or G bytes: "2MB", "1GB".
bool is_page_size(std::string_view s) {
    size_t i = skip_digits(s, 0);
    return i > 0 && i + 2 == s.size() && (s[i] == 'K' || s[i] == 'M' || s[i] == 'G') && s[i + 1] == 'B';
}

void validate_oci_version(const std::string& version) {
    if (version.empty()) fail("ociVersion: is required");
    // Any 1.x release (with optional -rc/-dev suffixes) reads the same for Linux.
    if (!is_version_1x(version))
        fail("ociVersion: unsupported version \"{}\" (myrt supports 1.x)", version);
}

void validate_hooks(const Hooks& hooks) {
    auto check = [](const std::vector<Hook>& list, const std::string& where) {
        for (size_t i = 0; i < list.size(); ++i) {
            auto at = indexed(where, i);
            require_absolute(list[i].path, at + ".path");
            if (list[i].timeout && *list[i].timeout <= 0)
                fail("{}.timeout: must be greater than 0, got {}", at, *list[i].timeout);
        }
    };
    check(hooks.prestart, "hooks.prestart");
    check(hooks.create_runtime, "hooks.createRuntime");
    check(hooks.create_container, "hooks.createContainer");
    check(hooks.start_container, "hooks.startContainer");
    check(hooks.poststart, "hooks.poststart");
    check(hooks.poststop, "hooks.poststop");
}

void validate_namespaces(const Linux& l) {
    std::set<std::string> seen;
    for (size_t i = 0; i < l.namespaces.size(); ++i) {
        auto& ns = l.namespaces[i];
        auto at = indexed("linux.namespaces", i);
        if (!namespace_clone_flag(ns.type)) fail("{}.type: unknown namespace type \"{}\"", at, ns.type);
        if (!seen.insert(ns.type).second) fail("{}.type: duplicate namespace type \"{}\"", at, ns.type);
        if (!ns.path.empty()) require_absolute(ns.path, at + ".path");
    }
}

void validate_id_mappings(const Linux& l) {
    auto check = [&](const std::vector<IdMapping>& maps, const std::string& where) {
        if (maps.empty()) return;
        if (!has_namespace(l, "user"))
            fail("{}: mappings need a user namespace, but linux.namespaces has no \"user\"", where);
        for (size_t i = 0; i < maps.size(); ++i)
            if (maps[i].size == 0) fail("{}.size: must be greater than 0", indexed(where, i));
    };
    check(l.uid_mappings, "linux.uidMappings");
    check(l.gid_mappings, "linux.gidMappings");
    // A user namespace made afresh maps nobody until written, and every id
    // inside would be the overflow id: runc refuses that too.
    auto user = l.find_namespace("user");
    if (user && user->path.empty()) {
        if (l.uid_mappings.empty()) fail("linux.uidMappings: a new user namespace needs at least one mapping");
        if (l.gid_mappings.empty()) fail("linux.gidMappings: a new user namespace needs at least one mapping");
    }
}

void validate_time_offsets(const Linux& l) {
    if (l.time_offsets.empty()) return;
    if (!has_namespace(l, "time"))
        fail("linux.timeOffsets: offsets need a time namespace, but linux.namespaces has no \"time\"");
    for (auto& [clock, offset] : l.time_offsets) {
        auto at = "linux.timeOffsets." + clock;
        if (clock != "monotonic" && clock != "boottime")
            fail("{}: unknown clock \"{}\" (want monotonic or boottime)", at, clock);
        if (offset.nanosecs >= 1'000'000'000u)
            fail("{}.nanosecs: must be below 1000000000, got {}", at, offset.nanosecs);
    }
}

void validate_devices(const Linux& l) {
    for (size_t i = 0; i < l.devices.size(); ++i) {
        auto& d = l.devices[i];
        auto at = indexed("linux.devices", i);
        if (d.type != "c" && d.type != "b" && d.type != "u" && d.type != "p")
            fail("{}.type: unknown device type \"{}\" (want c, b, u or p)", at, d.type);
        require_absolute(d.path, at + ".path");
        if (d.major < 0) fail("{}.major: must not be negative, got {}", at, d.major);
        if (d.minor < 0) fail("{}.minor: must not be negative, got {}", at, d.minor);
        if (d.file_mode && *d.file_mode > 07777)
            fail("{}.fileMode: must be a permission mode (at most 07777), got {:#o}", at, *d.file_mode);
    }
}

void validate_cgroups_path(const std::string& path) {
    if (path.find(':') == std::string::npos) return;  // a plain path, absolute or relative
    // systemd form: "slice:prefix:name", as runc --systemd-cgroup takes it.
    std::vector<std::string> parts;
    size_t start = 0;
    for (size_t pos; (pos = path.find(':', start)) != std::string::npos; start = pos + 1)
        parts.push_back(path.substr(start, pos - start));
    parts.push_back(path.substr(start));
    if (parts.size() != 3 || parts[2].empty())
        fail("linux.cgroupsPath: \"{}\" must be a path or the systemd form \"slice:prefix:name\"", path);
    if (!parts[0].empty() && !parts[0].ends_with(".slice"))
        fail("linux.cgroupsPath: slice \"{}\" in \"{}\" must end in \".slice\"", parts[0], path);
}

void validate_rootfs_propagation(const std::string& propagation) {
    static const std::vector<std::string> allowed = {"",      "private", "rprivate", "shared",     "rshared",
                                                     "slave", "rslave",  "unbindable", "runbindable"};
    if (!is_known(allowed, propagation))
        fail("linux.rootfsPropagation: unknown propagation \"{}\" (want private, shared, slave or unbindable, "
             "optionally with an r prefix)",
             propagation);
}

void validate_seccomp(const Seccomp& s) {
    const std::string base = "linux.seccomp";
    auto check_action = [](const std::string& action, const std::string& where) {
        if (!is_known(seccomp_action_names(), action)) fail("{}: unknown action \"{}\"", where, action);
    };
    auto errno_allowed = [](const std::string& action) {
        return action == "SCMP_ACT_ERRNO" || action == "SCMP_ACT_TRACE";
    };
    check_action(s.default_action, base + ".defaultAction");
    if (s.default_action == "SCMP_ACT_NOTIFY")
        fail("{}.defaultAction: SCMP_ACT_NOTIFY cannot be the default action", base);
    if (s.default_errno_ret && !errno_allowed(s.default_action))
        fail("{}.defaultErrnoRet: only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not {}", base,
             s.default_action);
    for (size_t i = 0; i < s.architectures.size(); ++i)
        if (!is_known(seccomp_arch_names(), s.architectures[i]))
            fail("{}: unknown architecture \"{}\"", indexed(base + ".architectures", i), s.architectures[i]);
    for (size_t i = 0; i < s.flags.size(); ++i)
        if (!is_known(seccomp_flag_names(), s.flags[i]))
            fail("{}: unknown flag \"{}\"", indexed(base + ".flags", i), s.flags[i]);
    if (!s.listener_path.empty()) require_absolute(s.listener_path, base + ".listenerPath");

    bool uses_notify = false;
    for (size_t i = 0; i < s.syscalls.size(); ++i) {
        auto& sc = s.syscalls[i];
        auto at = indexed(base + ".syscalls", i);
        if (sc.names.empty()) fail("{}.names: must be a non-empty array", at);
        for (size_t n = 0; n < sc.names.size(); ++n)
            if (sc.names[n].empty()) fail("{}: must not be empty", indexed(at + ".names", n));
        check_action(sc.action, at + ".action");
        uses_notify |= sc.action == "SCMP_ACT_NOTIFY";
        if (sc.errno_ret && !errno_allowed(sc.action))
            fail("{}.errnoRet: only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not {}", at, sc.action);
        for (size_t a = 0; a < sc.args.size(); ++a) {
            auto& arg = sc.args[a];
            auto arg_at = indexed(at + ".args", a);
            // Syscalls take at most six arguments.
            if (arg.index > 5) fail("{}.index: must be between 0 and 5, got {}", arg_at, arg.index);
            if (!is_known(seccomp_operator_names(), arg.op))
                fail("{}.op: unknown operator \"{}\"", arg_at, arg.op);
        }
    }
    if (uses_notify && s.listener_path.empty())
        fail("{}.listenerPath: required when a syscall uses SCMP_ACT_NOTIFY", base);
}

}  // namespace

std::optional<std::string> sysctl_namespace(const std::string& key) {
    static const std::set<std::string> ipc_keys = {
        "kernel.msgmax",      "kernel.msgmnb",      "kernel.msgmni",      "kernel.sem",
        "kernel.shmall",      "kernel.shmmax",      "kernel.shmmni",      "kernel.shm_rmid_forced",
        "kernel.msg_next_id", "kernel.sem_next_id", "kernel.shm_next_id",
    };
    if (ipc_keys.contains(key) || key.starts_with("fs.mqueue.")) return "ipc";
    if (key.starts_with("net.")) return "network";
    if (key == "kernel.hostname" || key == "kernel.domainname") return "uts";
    return std::nullopt;
}

namespace {

void validate_sysctl(const Linux& l) {
    for (auto& [key, value] : l.sysctl) {
        auto at = "linux.sysctl." + key;
        auto ns = sysctl_namespace(key);
        if (!ns) fail("{}: sysctl \"{}\" is not isolated by any namespace, a container may not set it", at, key);
        if (!has_namespace(l, *ns))
            fail("{}: sysctl \"{}\" needs a {} namespace, but linux.namespaces has no \"{}\"", at, key, *ns, *ns);
    }
}

void validate_path_list(const std::vector<std::string>& paths, const std::string& where) {
    for (size_t i = 0; i < paths.size(); ++i) require_absolute(paths[i], indexed(where, i));
}

// A container may share the runtime's mount namespace (the spec allows it):
// what would then change the runtime's own mounts is refused, as runc does.
void validate_without_mount_namespace(const Linux& l) {
    if (has_namespace(l, "mount")) return;
    const char* why = "needs a mount namespace of its own (linux.namespaces has no \"mount\"), or it would change "
                      "the runtime's mounts";
    if (!l.masked_paths.empty()) fail("linux.maskedPaths: {}", why);
    if (!l.readonly_paths.empty()) fail("linux.readonlyPaths: {}", why);
    if (!l.rootfs_propagation.empty()) fail("linux.rootfsPropagation: {}", why);
}

void validate_linux(const Config& c) {
    auto& l = c.linux;
    validate_namespaces(l);
    validate_id_mappings(l);
    validate_time_offsets(l);
    validate_devices(l);
    validate_cgroups_path(l.cgroups_path);
    if (l.resources) validate_resources(*l.resources, "linux.resources");
    validate_rootfs_propagation(l.rootfs_propagation);
    if (l.seccomp) validate_seccomp(*l.seccomp);
    validate_sysctl(l);
    validate_path_list(l.masked_paths, "linux.maskedPaths");
    validate_path_list(l.readonly_paths, "linux.readonlyPaths");
    validate_without_mount_namespace(l);
    if (l.personality && l.personality->domain != "LINUX" && l.personality->domain != "LINUX32")
        fail("linux.personality.domain: unknown domain \"{}\" (want LINUX or LINUX32)", l.personality->domain);
}

}  // namespace

void validate_process(const Process& p, const std::string& path) {
    if (p.args.empty()) fail("{}.args: must be a non-empty array", path);
    require_absolute(p.cwd, path + ".cwd");
    for (size_t i = 0; i < p.env.size(); ++i) {
        auto eq = p.env[i].find('=');
        if (eq == std::string::npos || eq == 0)
            fail("{}: must be KEY=VALUE, got \"{}\"", indexed(path + ".env", i), p.env[i]);
    }
    if (p.user.umask && *p.user.umask > 0777)
        fail("{}.user.umask: must be at most 0777, got {:#o}", path, *p.user.umask);
    // Capability names are not checked here: unknown ones are skipped with a warning when the
    // process starts (runtime/security/capabilities.cpp), as runc does since 1.2.
    std::set<std::string> seen;
    for (size_t i = 0; i < p.rlimits.size(); ++i) {
        auto& r = p.rlimits[i];
        auto at = indexed(path + ".rlimits", i);
        if (!rlimit_resource(r.type)) fail("{}.type: unknown rlimit \"{}\"", at, r.type);
        if (!seen.insert(r.type).second) fail("{}.type: duplicate rlimit \"{}\"", at, r.type);
        if (r.soft > r.hard) fail("{}: soft limit {} is above hard limit {}", at, r.soft, r.hard);
    }
    if (p.oom_score_adj && (*p.oom_score_adj < -1000 || *p.oom_score_adj > 1000))
        fail("{}.oomScoreAdj: must be between -1000 and 1000, got {}", path, *p.oom_score_adj);
    if (auto& s = p.scheduler) {
        if (!scheduler_policy(s->policy)) fail("{}.scheduler.policy: unknown policy \"{}\"", path, s->policy);
        if (s->nice < -20 || s->nice > 19) fail("{}.scheduler.nice: must be between -20 and 19, got {}", path, s->nice);
        if (s->priority < 0 || s->priority > 99)
            fail("{}.scheduler.priority: must be between 0 and 99, got {}", path, s->priority);
        for (size_t i = 0; i < s->flags.size(); ++i)
            if (!scheduler_flag(s->flags[i]))
                fail("{}: unknown flag \"{}\"", indexed(path + ".scheduler.flags", i), s->flags[i]);
    }
    if (auto& io = p.io_priority) {
        if (!io_priority_class(io->io_class)) fail("{}.ioPriority.class: unknown class \"{}\"", path, io->io_class);
        if (io->priority < 0 || io->priority > 7)
            fail("{}.ioPriority.priority: must be between 0 and 7, got {}", path, io->priority);
    }
    if (auto& aff = p.exec_cpu_affinity) {
        if (!aff->initial.empty() && !is_cpu_list(aff->initial))
            fail("{}.execCPUAffinity.initial: \"{}\" is not a CPU list such as \"0-3,7\"", path, aff->initial);
        if (!aff->final_cpus.empty() && !is_cpu_list(aff->final_cpus))
            fail("{}.execCPUAffinity.final: \"{}\" is not a CPU list such as \"0-3,7\"", path, aff->final_cpus);
    }
}

void validate_resources(const Resources& res, const std::string& path) {
    for (size_t i = 0; i < res.devices.size(); ++i) {
        auto& rule = res.devices[i];
        auto at = indexed(path + ".devices", i);
        if (rule.type != "" && rule.type != "a" && rule.type != "c" && rule.type != "b")
            fail("{}.type: unknown device type \"{}\" (want a, c or b)", at, rule.type);
        if (rule.access.find_first_not_of("rwm") != std::string::npos)
            fail("{}.access: must be made of r, w and m, got \"{}\"", at, rule.access);
    }
    if (res.memory && res.memory->swappiness && *res.memory->swappiness > 100)
        fail("{}.memory.swappiness: must be between 0 and 100, got {}", path, *res.memory->swappiness);
    for (size_t i = 0; i < res.hugepage_limits.size(); ++i)
        if (!is_page_size(res.hugepage_limits[i].page_size))
            fail("{}.pageSize: must look like \"2MB\" or \"1GB\", got \"{}\"", indexed(path + ".hugepageLimits", i),
                 res.hugepage_limits[i].page_size);
    for (auto& [key, value] : res.unified)
        // The key names a file in the container's cgroup directory: a slash
        // would let it write anywhere in the hierarchy.
        if (key.empty() || key.find('/') != std::string::npos || key.find('.') == std::string::npos)
            fail("{}.unified: key \"{}\" must be a cgroup file name like \"memory.max\"", path, key);
}

void validate_config(const Config& c) {
    validate_oci_version(c.oci_version);
    if (c.root.path.empty()) fail("root.path: is required");
    if (c.process) validate_process(*c.process, "process");
    for (size_t i = 0; i < c.mounts.size(); ++i)
        require_absolute(c.mounts[i].destination, indexed("mounts", i) + ".destination");
    validate_hooks(c.hooks);
    validate_linux(c);
    // runc accepts a joined uts namespace too (pods share one), so any entry will do.
    if (!c.hostname.empty() && !has_namespace(c.linux, "uts"))
        fail("hostname: setting it needs a uts namespace, but linux.namespaces has no \"uts\"");
    if (!c.domainname.empty() && !has_namespace(c.linux, "uts"))
        fail("domainname: setting it needs a uts namespace, but linux.namespaces has no \"uts\"");
}

void validate_for_create(const Config& c) {
    if (!c.process) fail("process: is required to create a container");
    validate_process(*c.process, "process");
}

}  // namespace myrt::spec
