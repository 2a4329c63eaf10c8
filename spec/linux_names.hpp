#pragma once
// OCI names for Linux namespaces and rlimits, with the kernel constants they
// stand for, so validation and the runtime share one table.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace myrt::spec {

// "pid" -> CLONE_NEWPID ... "time" -> CLONE_NEWTIME; nullopt if unknown.
std::optional<int> namespace_clone_flag(std::string_view type);
// The /proc/PID/ns/<file> name for a type ("network" -> "net", "mount" -> "mnt").
std::optional<std::string> namespace_proc_name(std::string_view type);
// pid, network, mount, ipc, uts, user, cgroup, time (in that order).
const std::vector<std::string>& namespace_type_names();

// "RLIMIT_NOFILE" -> RLIMIT_NOFILE; nullopt if unknown.
std::optional<int> rlimit_resource(std::string_view name);
const std::vector<std::string>& rlimit_names();

}  // namespace myrt::spec
