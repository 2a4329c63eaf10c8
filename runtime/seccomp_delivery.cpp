#include "runtime/seccomp_delivery.hpp"

#include "runtime/security/seccomp.hpp"
#include "runtime/state_json.hpp"
#include "util/error.hpp"

namespace myrt::runtime {

void deliver_seccomp_listener(SyncChannel& channel, const spec::Seccomp& seccomp, const ContainerState& state,
                              Status status, int pid) {
    UniqueFd listener = channel.take_fd();
    if (!listener) fail("the container process announced a seccomp listener but sent no fd");
    if (seccomp.listener_path.empty()) fail("linux.seccomp.listenerPath: required when a syscall uses SCMP_ACT_NOTIFY");
    std::string message = seccomp_process_state(state, status, pid, seccomp.listener_metadata).dump();
    security::send_seccomp_listener(seccomp.listener_path, listener.get(), message);
    channel.send(SyncMsg::seccomp_listener_sent);
}

}  // namespace myrt::runtime
