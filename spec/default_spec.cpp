// The config.json `myrt spec` writes: runc's template (runc 1.1 `runc spec`),
// with myrt's hostname, the 1.1.0 spec version and a cgroup namespace as
// newer runc releases add.
#include <unistd.h>

#include "myrt_version.hpp"
#include "spec/config.hpp"

namespace myrt::spec {
namespace {

using nlohmann::json;

json default_mounts(bool rootless) {
    json devpts_options = {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"};
    // gid=5 (tty) is not mapped inside a rootless container's user namespace.
    if (!rootless) devpts_options.push_back("gid=5");
    // sysfs cannot be mounted afresh without owning the network namespace, so
    // a rootless container bind-mounts the host's.
    json sys = rootless ? json{{"destination", "/sys"},
                               {"type", "none"},
                               {"source", "/sys"},
                               {"options", {"rbind", "nosuid", "noexec", "nodev", "ro"}}}
                        : json{{"destination", "/sys"},
                               {"type", "sysfs"},
                               {"source", "sysfs"},
                               {"options", {"nosuid", "noexec", "nodev", "ro"}}};
    return json::array({
        {{"destination", "/proc"}, {"type", "proc"}, {"source", "proc"}},
        {{"destination", "/dev"},
         {"type", "tmpfs"},
         {"source", "tmpfs"},
         {"options", {"nosuid", "strictatime", "mode=755", "size=65536k"}}},
        {{"destination", "/dev/pts"}, {"type", "devpts"}, {"source", "devpts"}, {"options", devpts_options}},
        {{"destination", "/dev/shm"},
         {"type", "tmpfs"},
         {"source", "shm"},
         {"options", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}}},
        {{"destination", "/dev/mqueue"},
         {"type", "mqueue"},
         {"source", "mqueue"},
         {"options", {"nosuid", "noexec", "nodev"}}},
        sys,
        {{"destination", "/sys/fs/cgroup"},
         {"type", "cgroup"},
         {"source", "cgroup"},
         {"options", {"nosuid", "noexec", "nodev", "relatime", "ro"}}},
    });
}

json namespaces(bool rootless, bool cgroup_namespace) {
    json list = json::array();
    // A rootless container cannot configure a fresh network namespace's
    // devices, so it keeps the caller's network.
    for (const char* type : {"pid", "network", "ipc", "uts", "mount"}) {
        if (rootless && std::string_view(type) == "network") continue;
        list.push_back({{"type", type}});
    }
    if (cgroup_namespace) list.push_back({{"type", "cgroup"}});
    if (rootless) list.push_back({{"type", "user"}});
    return list;
}

}  // namespace

json default_spec(bool rootless, bool cgroup_namespace) {
    // No ambient set, as runc's spec since 1.2: with no inheritable set it could not be raised.
    json caps = {"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"};
    json process = {
        {"terminal", true},
        {"user", {{"uid", 0}, {"gid", 0}}},
        {"args", {"sh"}},
        {"env", {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"}},
        {"cwd", "/"},
        {"capabilities", {{"bounding", caps}, {"effective", caps}, {"permitted", caps}}},
        {"rlimits", {{{"type", "RLIMIT_NOFILE"}, {"hard", 1024}, {"soft", 1024}}}},
        {"noNewPrivileges", true},
    };
    json linux_section = json::object();
    if (rootless) {
        // Map root inside to the caller outside, as `runc spec --rootless` does.
        linux_section["uidMappings"] = {{{"containerID", 0}, {"hostID", geteuid()}, {"size", 1}}};
        linux_section["gidMappings"] = {{{"containerID", 0}, {"hostID", getegid()}, {"size", 1}}};
    } else {
        linux_section["resources"] = {{"devices", {{{"allow", false}, {"access", "rwm"}}}}};
    }
    linux_section["namespaces"] = namespaces(rootless, cgroup_namespace);
    linux_section["maskedPaths"] = {"/proc/acpi",          "/proc/asound",    "/proc/kcore",
                                    "/proc/keys",          "/proc/latency_stats", "/proc/timer_list",
                                    "/proc/timer_stats",   "/proc/sched_debug", "/sys/firmware",
                                    "/proc/scsi"};
    linux_section["readonlyPaths"] = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"};
    return {
        {"ociVersion", MYRT_OCI_VERSION},
        {"process", process},
        {"root", {{"path", "rootfs"}, {"readonly", true}}},
        {"hostname", "myrt"},
        {"mounts", default_mounts(rootless)},
        {"linux", linux_section},
    };
}

}  // namespace myrt::spec
