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

}  // namespace

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
