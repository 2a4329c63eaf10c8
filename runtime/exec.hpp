#pragma once
// `exec`: a new process inside a running container's namespaces and cgroup,
// with the container's process settings as the base (as runc does).
#include <map>
#include <string>

#include "runtime/container_state.hpp"
#include "spec/config.hpp"

namespace myrt::runtime {

struct ExecOptions {
    std::string id;
    spec::Process process;
    bool detach = false;
    std::string pid_file;
    std::string console_socket;
    int preserve_fds = 0;
    bool ignore_paused = false;  // --ignore-paused: a paused container is joined; the process waits for resume
    std::map<std::string, std::string> cgroup_below;  // --cgroup: controller ("" = all) to sub-cgroup
};

// Returns the exit code in the foreground, 0 once the process runs when detached.
int exec_in_container(const StateStore& store, const ExecOptions& opts);

}  // namespace myrt::runtime
