#pragma once
// Resource writers shared by the v1 and v2 paths (same file names in both).
#include <string>

#include "spec/config.hpp"

namespace myrt::cgroup {
void apply_cpuset_files(const std::string& dir, const spec::CpuResources& c);
void apply_pids_files(const std::string& dir, const spec::PidsResources& p);
}  // namespace myrt::cgroup
