#pragma once
// Device access rules: the v1 devices.allow/deny syntax and the v2 eBPF filter.
#include <string>
#include <vector>

#include "spec/config.hpp"

namespace myrt::cgroup {

// "c 1:3 rwm", "a *:* rwm"; throws naming the rule when a field is invalid.
std::string device_rule_string(const spec::DeviceCgroupRule& rule, size_t index);

// v2: loads a BPF_PROG_TYPE_CGROUP_DEVICE program that enforces `rules` (later rules win, as
// writing them one by one to v1 devices.allow/deny would) and attaches it to the cgroup
// directory, replacing the programs this function attached before.
void attach_device_filter(const std::string& cgroup_dir, const std::vector<spec::DeviceCgroupRule>& rules);

}  // namespace myrt::cgroup
