#pragma once
// Discovery: which cgroup hierarchies the host mounts (from mountinfo) and where a process
// sits in each (from /proc/PID/cgroup).
#include <map>
#include <string>
#include <vector>

#include "runtime/cgroup/cgroup.hpp"

namespace myrt::cgroup {

struct MountedHierarchy {
    std::string mount_point;               // /sys/fs/cgroup/memory
    std::string root;                      // the hierarchy path shown at the mount point ("/" on the host)
    std::vector<std::string> controllers;  // v1 only: memory, cpu, name=systemd
    bool v2 = false;
};

// One entry per hierarchy (a hierarchy mounted twice is listed once, preferring root "/").
std::vector<MountedHierarchy> mounted_hierarchies(const std::string& mountinfo_path = "/proc/self/mountinfo");
Layout layout_of(const std::vector<MountedHierarchy>& mounts);

// /proc/PID/cgroup as controller -> path; the v2 entry is keyed "" and named ones "name=systemd".
std::map<std::string, std::string> process_cgroups(const std::string& proc_cgroup_path = "/proc/self/cgroup");

// Parses one mountinfo text (exposed for tests).
std::vector<MountedHierarchy> parse_mountinfo(const std::string& text);

}  // namespace myrt::cgroup
