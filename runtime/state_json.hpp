#pragma once
// The two state documents runc prints and hands out, in runc's field order
// (callers that compare output, or parse it with order-sensitive tools, rely on it).
#include <nlohmann/json.hpp>

#include "runtime/container_state.hpp"

namespace myrt::runtime {
// `state` and each entry of `list --format json`: ociVersion, id, pid, status,
// bundle, rootfs, created, annotations (only when set), owner.
nlohmann::ordered_json oci_state(const ContainerState& st, Status status);
// What a hook reads on stdin (the runtime spec's State): ociVersion, id, status,
// pid (only when non-zero), bundle, annotations (only when set).
nlohmann::ordered_json hook_state(const ContainerState& st, Status status);
// What a seccomp agent at linux.seccomp.listenerPath reads with the notify fd
// (the runtime spec's ContainerProcessState): ociVersion, fds ["seccompFd"],
// pid of the filtered process, metadata (listenerMetadata), state (hook_state).
nlohmann::ordered_json seccomp_process_state(const ContainerState& st, Status status, int pid, const std::string& metadata);
}
