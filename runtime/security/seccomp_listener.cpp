// Hands the seccomp notify fd to the agent at linux.seccomp.listenerPath (OCI "seccomp listener").
#include <sys/socket.h>
#include <sys/un.h>

#include <cstring>

#include "runtime/security/seccomp.hpp"
#include "util/error.hpp"

namespace myrt::security {

void send_seccomp_listener(const std::string& listener_path, int fd, const std::string& state_json) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (listener_path.empty()) fail("seccomp listener path is empty");
    if (listener_path.size() >= sizeof(addr.sun_path))
        fail("seccomp listener path {} is longer than {} bytes", listener_path, sizeof(addr.sun_path) - 1);
    std::memcpy(addr.sun_path, listener_path.data(), listener_path.size());
    if (state_json.empty()) fail("seccomp listener {}: the state message is empty", listener_path);

    UniqueFd sock(check(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), "create a socket for seccomp listener {}",
                        listener_path));
    int rc;
    do rc = ::connect(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    while (rc < 0 && errno == EINTR);
    check(rc, "connect to seccomp listener {}", listener_path);

    // The fd rides on the first byte of the message; the rest follows as plain stream data.
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    size_t sent = 0;
    while (sent < state_json.size()) {
        iovec iov{const_cast<char*>(state_json.data()) + sent, state_json.size() - sent};
        msghdr msg{};
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        if (sent == 0) {
            msg.msg_control = control;
            msg.msg_controllen = sizeof(control);
            cmsghdr* cm = CMSG_FIRSTHDR(&msg);
            cm->cmsg_level = SOL_SOCKET;
            cm->cmsg_type = SCM_RIGHTS;
            cm->cmsg_len = CMSG_LEN(sizeof(int));
            std::memcpy(CMSG_DATA(cm), &fd, sizeof(int));
        }
        ssize_t n = ::sendmsg(sock.get(), &msg, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        check(n, "send the seccomp notify fd to listener {}", listener_path);
        sent += static_cast<size_t>(n);
    }
}

}  // namespace myrt::security
