#pragma once
// `create`: builds a container from a bundle and leaves its init waiting on
// the exec fifo until `start` (for `run`, going straight on). Everything made on the way (state, cgroup,
// processes) is torn down again when any step fails.
#include <sys/types.h>

#include <string>

#include "runtime/container_state.hpp"

namespace myrt::runtime {

struct CreateOptions {
    std::string id;
    std::string bundle;
    std::string pid_file;
    std::string console_socket;
    bool no_pivot = false;
    bool no_new_keyring = false;
    int preserve_fds = 0;
    std::string cgroup_parent = "/myrt";
    // `run` in the foreground keeps the init as its child and proxies a
    // terminal itself when there is no console socket.
    bool foreground_terminal = false;
    // Restore: build namespaces, cgroup and rootfs exactly as for create, but
    // the init parks (in pause(2), as root, no seccomp, fds >= 3 closed) for
    // the C/R engine to seize and rebuild into the checkpointed pid 1.
    // No exec fifo: once the engine is done the container is running.
    bool restore_placeholder = false;
    // `run`: no exec fifo and no separate `start`; the init goes on to its
    // program as soon as it is created (startContainer hooks first).
    bool start_immediately = false;
};

struct CreateResult {
    ContainerState state;
    int terminal_master = -1;   // foreground terminal, owned by the caller
    // start_immediately with poststart hooks: our end of the channel to the
    // init, which reads end of file once the init has exec'd (owned by the caller).
    int exec_watch = -1;
};

CreateResult create_container(const StateStore& store, const CreateOptions& opts);

}  // namespace myrt::runtime
