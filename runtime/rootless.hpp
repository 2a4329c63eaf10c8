#pragma once
// What changes when the runtime has no real root: an unprivileged caller, or
// root inside a user namespace (rootless Podman runs its runtime that way).
// See docs/rootless.md.
#include <sys/types.h>

#include <string>

#include "spec/config.hpp"

namespace myrt::runtime {

// True when the caller cannot act as the host's root: its euid is not 0, or it
// lives in a user namespace other than the initial one.
bool rootless_caller();

// The default --root for an unprivileged caller, as runc's: $XDG_RUNTIME_DIR/myrt,
// else /run/user/UID/myrt; root of a user namespace uses $XDG_RUNTIME_DIR/myrt when it is set.
// Empty for real root (the system default applies).
std::string rootless_state_root();

// Writes a child's uid and gid maps as an unprivileged caller may: a single id
// mapping the caller's own uid (gid) directly (setgroups denied first, as the
// kernel requires for gid_map), anything wider through newuidmap/newgidmap,
// which check the ranges in /etc/subuid and /etc/subgid.
void write_id_maps_unprivileged(pid_t pid, const spec::Linux& l);

}  // namespace myrt::runtime
