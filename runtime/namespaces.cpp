#include "runtime/namespaces.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <map>

#include "runtime/fs_util.hpp"
#include "runtime/rootless.hpp"
#include "util/error.hpp"

namespace myrt::runtime {

int clone_flag_for(const std::string& t) {
    static const std::map<std::string, int> m = {
        {"pid", CLONE_NEWPID}, {"network", CLONE_NEWNET},   {"mount", CLONE_NEWNS},  {"ipc", CLONE_NEWIPC},
        {"uts", CLONE_NEWUTS}, {"user", CLONE_NEWUSER},     {"cgroup", CLONE_NEWCGROUP}, {"time", CLONE_NEWTIME}};
    auto it = m.find(t);
    if (it == m.end()) fail("linux.namespaces: unknown namespace type \"{}\"", t);
    return it->second;
}

const char* proc_ns_name(const std::string& t) {
    if (t == "network") return "net";
    if (t == "mount") return "mnt";
    if (t == "pid") return "pid";
    if (t == "ipc") return "ipc";
    if (t == "uts") return "uts";
    if (t == "user") return "user";
    if (t == "cgroup") return "cgroup";
    if (t == "time") return "time";
    return "";
}

bool NamespacePlan::joins_type(const std::string& t) const {
    for (auto& j : joins)
        if (j.type == t) return true;
    return false;
}

NamespacePlan plan_namespaces(const spec::Config& c) {
    NamespacePlan p;
    for (const auto& ns : c.linux.namespaces) {
        int flag = clone_flag_for(ns.type);
        if (ns.path.empty()) {
            p.new_flags |= flag;
            continue;
        }
        int fd = ::open(ns.path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) throw_errno("linux.namespaces: open {} namespace {}", ns.type, ns.path);
        p.joins.push_back({ns.type, flag, UniqueFd(fd)});
    }
    return p;
}

void refuse_sysctls_of_runtime_namespaces(const spec::Config& c, const NamespacePlan& p) {
    for (const auto& [key, value] : c.linux.sysctl) {
        auto type = spec::sysctl_namespace(key);
        if (!type) continue;  // refused by validation already
        for (const auto& j : p.joins) {
            if (j.type != *type) continue;
            struct stat theirs, ours;
            std::string self = std::string("/proc/self/ns/") + proc_ns_name(j.type);
            if (::fstat(j.fd.get(), &theirs) != 0 || ::stat(self.c_str(), &ours) != 0) continue;
            if (theirs.st_dev == ours.st_dev && theirs.st_ino == ours.st_ino)
                fail("linux.sysctl.{}: sysctl \"{}\" needs a {} namespace of the container's own, but linux.namespaces "
                     "joins the runtime's own {} namespace",
                     key, key, *type, *type);
        }
    }
}

static std::string format_map(const std::vector<spec::IdMapping>& m) {
    std::string s;
    for (auto& e : m) s += std::to_string(e.container_id) + " " + std::to_string(e.host_id) + " " + std::to_string(e.size) + "\n";
    return s;
}

void write_id_maps(pid_t pid, const spec::Linux& l) {
    if (::geteuid() != 0) return write_id_maps_unprivileged(pid, l);
    std::string base = "/proc/" + std::to_string(pid);
    if (!l.uid_mappings.empty()) write_file(base + "/uid_map", format_map(l.uid_mappings));
    if (!l.gid_mappings.empty()) write_file(base + "/gid_map", format_map(l.gid_mappings));
}

void write_time_offsets(const std::map<std::string, spec::TimeOffset>& offsets) {
    for (const auto& [clock, off] : offsets) {
        if (clock != "monotonic" && clock != "boottime")
            fail("linux.timeOffsets: unknown clock \"{}\" (monotonic or boottime)", clock);
        write_file("/proc/self/timens_offsets", clock + " " + std::to_string(off.secs) + " " + std::to_string(off.nanosecs));
    }
}

}  // namespace myrt::runtime
