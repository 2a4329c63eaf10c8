#pragma once
// The runtime's half of the seccomp listener hand-off: the container process
// loads its filter and passes the notify fd over the sync channel; the runtime,
// still on the host side, delivers it to linux.seccomp.listenerPath (a path the
// container's mount namespace cannot see) and answers, as runc does.
#include "runtime/container_state.hpp"
#include "runtime/sync_channel.hpp"
#include "spec/config.hpp"

namespace myrt::runtime {

// Call when `channel` delivered SyncMsg::seccomp_listener. `pid` is the filtered
// process (the init, or an exec'd process). A failure to deliver throws: the
// caller fails create/run/exec and kills the process.
void deliver_seccomp_listener(SyncChannel& channel, const spec::Seccomp& seccomp, const ContainerState& state,
                              Status status, int pid);

}  // namespace myrt::runtime
