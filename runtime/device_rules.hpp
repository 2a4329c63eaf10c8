#pragma once
// The device cgroup rules every container gets after its own: runc's defaults
// (cgroup::default_device_rules: mknod, the standard nodes, ptys) plus each
// linux.devices entry, so a "deny all" in config.json still leaves a usable /dev.
#include <vector>

#include "spec/config.hpp"

namespace myrt::runtime {
std::vector<spec::DeviceCgroupRule> default_device_rules(const std::vector<spec::Device>& devices);
}
