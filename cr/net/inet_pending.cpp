#include "cr/net/inet_pending.hpp"

#include "cr/net/tcp_repair.hpp"
#include "util/error.hpp"

#include <linux/sockios.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <cstring>

namespace myrt::cr::net {

UniqueFd accept_pending(int listener, const std::string& who) {
    pollfd p{listener, POLLIN, 0};
    if (::poll(&p, 1, 0) != 1) fail("{}: its accept queue emptied while it was read", who);
    UniqueFd child(::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
    if (!child) throw_errno("accepting a pending connection of {}", who);
    return child;
}

std::vector<std::byte> peek_early_data(int child, const std::string& who) {
    int inq = 0;
    if (::ioctl(child, SIOCINQ, &inq) < 0) throw_errno("SIOCINQ on {}", who);
    int q = TCP_RECV_QUEUE;
    if (::setsockopt(child, IPPROTO_TCP, TCP_REPAIR_QUEUE, &q, sizeof q) < 0) throw_errno("TCP_REPAIR_QUEUE on {}", who);
    std::vector<std::byte> data(static_cast<size_t>(inq));
    if (inq > 0) {
        ssize_t n;
        do n = ::recv(child, data.data(), data.size(), MSG_PEEK | MSG_DONTWAIT);
        while (n < 0 && errno == EINTR);
        if (n != inq) throw_errno("peeking at the {} bytes sent on {} before accept()", inq, who);
    }
    q = TCP_NO_QUEUE;
    ::setsockopt(child, IPPROTO_TCP, TCP_REPAIR_QUEUE, &q, sizeof q);
    return data;
}

void reconnect_pending(int client, const InetSocket& s, bool disconnect) {
    const std::string who = describe(s);
    if (disconnect) {
        // In repair mode a disconnect sends nothing; it leaves ECONNABORTED
        // pending on the socket, which SO_ERROR takes off before the task runs.
        tcp_repair_on(client, who);
        sockaddr unspec{};
        unspec.sa_family = AF_UNSPEC;
        if (::connect(client, &unspec, sizeof unspec) < 0) throw_errno("disconnecting {} in repair mode", who);
        int err = 0;
        socklen_t len = sizeof err;
        ::getsockopt(client, SOL_SOCKET, SO_ERROR, &err, &len);
        tcp_repair_off(client);
    }
    // The same local address, so accept() and getpeername() report it again.
    // A disconnect gives back an automatic port (getsockname still shows it);
    // EINVAL is a socket still bound (by the task, or by the restore).
    sockaddr_storage ss{};
    socklen_t len = to_sockaddr(s.local, ss);
    if (::bind(client, reinterpret_cast<sockaddr*>(&ss), len) < 0 && errno != EINVAL)
        throw_errno("bind {} to {}", who, to_string(s.local));
    len = to_sockaddr(s.remote, ss);
    if (::connect(client, reinterpret_cast<sockaddr*>(&ss), len) < 0) {
        if (errno != EINPROGRESS && errno != EINTR) throw_errno("connect {} to {}", who, to_string(s.remote));
        pollfd p{client, POLLOUT, 0};
        if (::poll(&p, 1, 5000) != 1) fail("connect {} to {}: no answer within 5 s", who, to_string(s.remote));
        int err = 0;
        socklen_t elen = sizeof err;
        ::getsockopt(client, SOL_SOCKET, SO_ERROR, &err, &elen);
        if (err) fail("connect {} to {}: {}", who, to_string(s.remote), std::strerror(err));
    }
    const auto& data = s.tcp.send_queue;
    for (size_t off = 0; off < data.size();) {
        ssize_t n = ::send(client, data.data() + off, data.size() - off, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) throw_errno("sending again the {} bytes {} had sent before accept()", data.size(), who);
        off += static_cast<size_t>(n);
    }
}

bool requeue_pending_connection(int client, const InetSocket& s, std::string& why) noexcept {
    try {
        reconnect_pending(client, s, true);
        return true;
    } catch (const std::exception& e) {
        why = e.what();
        return false;
    }
}

}  // namespace myrt::cr::net
