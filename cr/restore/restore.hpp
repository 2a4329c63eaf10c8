#pragma once
// `myrt restore`: the whole image is checked first, then the container is
// built from the bundle exactly as `create` builds it, its parked pid 1 is
// rebuilt into the dumped init and every other task is recreated inside it.
// Any failure removes everything (process, cgroup, state).
#include <string>

#include "runtime/container_state.hpp"
#include "runtime/create.hpp"

namespace myrt::cr {

struct RestoreOptions {
    runtime::CreateOptions create;          // id, bundle, console socket, pid file, no_pivot...
    std::string image_path = "checkpoint";
    std::string work_path;                  // restore.log, stats-restore; "" = image_path
    bool detach = false;
    bool tcp_close = false;                 // cr/net: --tcp-close, established TCP connections come back closed
};

struct RestoreReport {
    double validate_ms = 0;   // first pass over the image
    double create_ms = 0;     // the container from the bundle
    double forking_ms = 0;    // tasks with their pids
    double restore_ms = 0;    // address spaces and task state
    double total_ms = 0;
    pid_t init_pid = 0;
    uint64_t pages = 0;
    int terminal_master = -1; // foreground terminal, owned by the caller
};

// Leaves the container running (tasks detached); the caller waits for it
// when not detached.
RestoreReport restore_container(const runtime::StateStore& store, const RestoreOptions& opts);

}  // namespace myrt::cr
