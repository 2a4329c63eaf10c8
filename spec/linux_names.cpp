#include "spec/linux_names.hpp"

#include <sched.h>
#include <sys/resource.h>

#include <array>
#include <utility>

// glibc 2.36 headers may predate the time namespace.
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

namespace myrt::spec {
namespace {

struct NamespaceKind {
    std::string_view type;
    std::string_view proc_name;
    int clone_flag;
};

constexpr std::array<NamespaceKind, 8> kNamespaces = {{
    {"pid", "pid", CLONE_NEWPID},
    {"network", "net", CLONE_NEWNET},
    {"mount", "mnt", CLONE_NEWNS},
    {"ipc", "ipc", CLONE_NEWIPC},
    {"uts", "uts", CLONE_NEWUTS},
    {"user", "user", CLONE_NEWUSER},
    {"cgroup", "cgroup", CLONE_NEWCGROUP},
    {"time", "time", CLONE_NEWTIME},
}};

constexpr std::array<std::pair<std::string_view, int>, 16> kRlimits = {{
    {"RLIMIT_AS", RLIMIT_AS},
    {"RLIMIT_CORE", RLIMIT_CORE},
    {"RLIMIT_CPU", RLIMIT_CPU},
    {"RLIMIT_DATA", RLIMIT_DATA},
    {"RLIMIT_FSIZE", RLIMIT_FSIZE},
    {"RLIMIT_LOCKS", RLIMIT_LOCKS},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
    {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
    {"RLIMIT_NICE", RLIMIT_NICE},
    {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_NPROC", RLIMIT_NPROC},
    {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
    {"RLIMIT_RTTIME", RLIMIT_RTTIME},
    {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_STACK", RLIMIT_STACK},
}};

// The kernel's numbers (uapi linux/sched.h, linux/ioprio.h): glibc 2.36 lacks some of them.
constexpr std::array<std::pair<std::string_view, int>, 7> kSchedPolicies = {{
    {"SCHED_OTHER", 0}, {"SCHED_FIFO", 1}, {"SCHED_RR", 2}, {"SCHED_BATCH", 3},
    {"SCHED_ISO", 4}, {"SCHED_IDLE", 5}, {"SCHED_DEADLINE", 6},
}};

constexpr std::array<std::pair<std::string_view, uint64_t>, 7> kSchedFlags = {{
    {"SCHED_FLAG_RESET_ON_FORK", 0x01}, {"SCHED_FLAG_RECLAIM", 0x02}, {"SCHED_FLAG_DL_OVERRUN", 0x04},
    {"SCHED_FLAG_KEEP_POLICY", 0x08}, {"SCHED_FLAG_KEEP_PARAMS", 0x10}, {"SCHED_FLAG_UTIL_CLAMP_MIN", 0x20},
    {"SCHED_FLAG_UTIL_CLAMP_MAX", 0x40},
}};

constexpr std::array<std::pair<std::string_view, int>, 3> kIoClasses = {{
    {"IOPRIO_CLASS_RT", 1}, {"IOPRIO_CLASS_BE", 2}, {"IOPRIO_CLASS_IDLE", 3},
}};

template <class Table>
auto lookup(const Table& table, std::string_view name) -> std::optional<typename Table::value_type::second_type> {
    for (auto& [n, value] : table)
        if (n == name) return value;
    return std::nullopt;
}

}  // namespace

std::optional<int> scheduler_policy(std::string_view name) { return lookup(kSchedPolicies, name); }
std::optional<uint64_t> scheduler_flag(std::string_view name) { return lookup(kSchedFlags, name); }
std::optional<int> io_priority_class(std::string_view name) { return lookup(kIoClasses, name); }

bool is_cpu_list(std::string_view list, int limit) {
    if (list.empty()) return false;
    size_t i = 0;
    auto number = [&](int& out) {
        size_t start = i;
        out = 0;
        while (i < list.size() && list[i] >= '0' && list[i] <= '9') {
            out = out * 10 + (list[i] - '0');
            if (out >= limit) return false;
            ++i;
        }
        return i > start;
    };
    for (;;) {
        int first = 0, last = 0;
        if (!number(first)) return false;
        last = first;
        if (i < list.size() && list[i] == '-') {
            ++i;
            if (!number(last) || last < first) return false;
        }
        if (i == list.size()) return true;
        if (list[i++] != ',') return false;
    }
}

std::optional<int> namespace_clone_flag(std::string_view type) {
    for (auto& ns : kNamespaces)
        if (ns.type == type) return ns.clone_flag;
    return std::nullopt;
}

std::optional<std::string> namespace_proc_name(std::string_view type) {
    for (auto& ns : kNamespaces)
        if (ns.type == type) return std::string(ns.proc_name);
    return std::nullopt;
}

const std::vector<std::string>& namespace_type_names() {
    static const std::vector<std::string> names = [] {
        std::vector<std::string> out;
        for (auto& ns : kNamespaces) out.emplace_back(ns.type);
        return out;
    }();
    return names;
}

std::optional<int> rlimit_resource(std::string_view name) {
    for (auto& [n, resource] : kRlimits)
        if (n == name) return resource;
    return std::nullopt;
}

const std::vector<std::string>& rlimit_names() {
    static const std::vector<std::string> names = [] {
        std::vector<std::string> out;
        for (auto& [n, resource] : kRlimits) out.emplace_back(n);
        return out;
    }();
    return names;
}

}  // namespace myrt::spec
