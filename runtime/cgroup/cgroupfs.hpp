#pragma once
// File-level access to cgroupfs: every cgroup file takes one write(2) of the whole value,
// and every failure names the file and the value.
#include <sys/types.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace myrt::cgroup::fs {

// Writes `value` to dir/name in a single write; the error names the file and the value.
void write(const std::string& dir, const std::string& name, const std::string& value);
std::string read(const std::string& dir, const std::string& name);  // trailing newline removed
std::optional<std::string> read_if_exists(const std::string& dir, const std::string& name);
bool exists(const std::string& dir, const std::string& name);
bool dir_exists(const std::string& dir);

// Reads a single integer ("max" reads as -1).
int64_t read_int(const std::string& dir, const std::string& name);
std::optional<int64_t> read_int_if_exists(const std::string& dir, const std::string& name);
// "key value" lines (memory.stat, cpu.stat, cgroup.events).
std::map<std::string, uint64_t> read_keyed(const std::string& dir, const std::string& name);

void mkdir_p(const std::string& dir);
// Sub-directories of dir (the child cgroups), depth-first with children before parents.
std::vector<std::string> subtree_bottom_up(const std::string& dir);
std::vector<pid_t> procs(const std::string& dir);           // cgroup.procs of this cgroup only
std::vector<pid_t> procs_recursive(const std::string& dir);  // this cgroup and all below

std::string join(const std::string& a, const std::string& b);
std::string trim(std::string s);
std::vector<std::string> split(const std::string& s, char sep);

}  // namespace myrt::cgroup::fs
