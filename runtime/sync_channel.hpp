#pragma once
// The runtime <-> container-init conversation during create: a SOCK_SEQPACKET
// pair, one message per step, so each side knows exactly where the other is.
#include <optional>
#include <string>
#include <utility>

#include "util/fd.hpp"

namespace myrt::runtime {

enum class SyncMsg : int {
    userns_ready = 1,     // child: new user namespace made, write my id maps
    userns_mapped,        // parent: maps written
    run_prestart_hooks,   // child: mounts ready, before pivot_root
    prestart_done,        // parent: prestart and createRuntime hooks ran
    created,              // child: ready, waiting on the exec fifo
    error,                // either side: payload is the message
    go,                   // parent: proceed (cgroup joined)
    parked,               // child: restore placeholder ready to be seized
    seccomp_listener,     // child: the seccomp notify fd rides on this message
    seccomp_listener_sent,  // parent: the fd reached linux.seccomp.listenerPath
};

class SyncChannel {
public:
    SyncChannel() = default;
    explicit SyncChannel(UniqueFd fd) : fd_(std::move(fd)) {}
    static std::pair<SyncChannel, SyncChannel> make_pair();

    void send(SyncMsg m, const std::string& payload = {});
    // As send(), with `fd` passed along (SCM_RIGHTS); take it with take_fd().
    void send_with_fd(SyncMsg m, int fd);
    // Receives one message; a peer error message is rethrown as myrt::Error.
    std::pair<SyncMsg, std::string> recv();
    // As recv(), but end of file (the peer closed or exec'd) gives nullopt.
    std::optional<std::pair<SyncMsg, std::string>> recv_or_eof();
    // Receives and requires a given message; a closed channel is reported with `what`.
    std::string expect(SyncMsg m, const char* what);
    // The fd that came with the last message received, if any.
    UniqueFd take_fd() { return std::move(received_fd_); }
    int fd() const { return fd_.get(); }
    UniqueFd release_fd() { return std::move(fd_); }
    void close() { fd_.reset(); }

private:
    void send_message(SyncMsg m, const std::string& payload, int fd);

    UniqueFd fd_;
    UniqueFd received_fd_;
};

}  // namespace myrt::runtime
