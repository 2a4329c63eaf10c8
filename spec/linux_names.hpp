#pragma once
// OCI names for Linux namespaces and rlimits, with the kernel constants they
// stand for, so validation and the runtime share one table.
#include <cstdint>
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

// process.scheduler names: "SCHED_BATCH" -> SCHED_BATCH, "SCHED_FLAG_RESET_ON_FORK" -> its
// sched_attr.sched_flags bit; process.ioPriority classes: "IOPRIO_CLASS_BE" -> 2.
std::optional<int> scheduler_policy(std::string_view name);
std::optional<uint64_t> scheduler_flag(std::string_view name);
std::optional<int> io_priority_class(std::string_view name);

// A CPU list as the kernel prints them ("0-3,8,10-11"): true if well formed, and every CPU
// number below `limit`.
bool is_cpu_list(std::string_view list, int limit = 8192);

// "RLIMIT_NOFILE" -> RLIMIT_NOFILE; nullopt if unknown.
std::optional<int> rlimit_resource(std::string_view name);
const std::vector<std::string>& rlimit_names();

}  // namespace myrt::spec
