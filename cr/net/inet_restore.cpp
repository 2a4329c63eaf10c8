#include "cr/net/inet_restore.hpp"

#include "cr/net/in_container_ns.hpp"
#include "cr/net/inet_pending.hpp"
#include "cr/net/net_lock.hpp"
#include "cr/net/tcp_repair.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cstring>

namespace myrt::cr::net {

namespace img = myrt::cr::image;

namespace {

enum class OptionPass { before_bind, after_connect, after_data };

void set_options(int fd, const InetSocket& s, OptionPass pass) {
    for (const img::InetOption& o : s.options) {
        const InetOptionInfo* info = find_inet_option(s.family, o.level, o.name);
        if (!info) continue;  // read_inet_table refused these
        OptionPass p = info->before_bind ? OptionPass::before_bind : info->after_data ? OptionPass::after_data : OptionPass::after_connect;
        if (p != pass) continue;
        int rc;
        if (o.level == SOL_SOCKET && o.name == SO_LINGER) {
            linger l{o.value, o.value2};
            rc = ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
        } else {
            // Already so (a default): not set again, as some (TCP_FASTOPEN) are
            // refused in states where they cannot matter.
            int now = 0;
            socklen_t len = sizeof now;
            if (::getsockopt(fd, o.level, o.name, &now, &len) == 0 && now == o.value) continue;
            rc = ::setsockopt(fd, o.level, o.name, &o.value, sizeof o.value);
        }
        if (rc < 0) throw_errno("setsockopt {} = {} on {}", info->text, o.value, describe(s));
    }
}

void set_int(int fd, int level, int name, int value, const InetSocket& s, const char* what) {
    if (::setsockopt(fd, level, name, &value, sizeof value) < 0) throw_errno("setsockopt {} on {}", what, describe(s));
}

void set_timeout(int fd, int opt, int64_t us, const InetSocket& s, const char* what) {
    timeval tv{static_cast<time_t>(us / 1000000), static_cast<suseconds_t>(us % 1000000)};
    if (::setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof tv) < 0) throw_errno("setsockopt {} on {}", what, describe(s));
}

void bind_to(int fd, const InetAddress& a, const InetSocket& s) {
    sockaddr_storage ss{};
    socklen_t len = to_sockaddr(a, ss);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) < 0) throw_errno("bind {} to {}", describe(s), to_string(a));
}

void connect_to(int fd, const InetAddress& a, const InetSocket& s) {
    sockaddr_storage ss{};
    socklen_t len = to_sockaddr(a, ss);
    while (::connect(fd, reinterpret_cast<sockaddr*>(&ss), len) < 0)
        if (errno != EINTR) throw_errno("connect {} to {}", describe(s), to_string(a));
}

// Where a datagram for `s` is sent from the restorer: its own address, or
// loopback for a socket bound to the wildcard address.
InetAddress delivery_address(const InetSocket& s) {
    InetAddress a = s.local;
    if (a.any()) {
        a.addr = {};
        if (a.family == AF_INET) a.addr[0] = 127, a.addr[3] = 1;
        else a.addr[15] = 1;
    }
    return a;
}

// A socket that sends as `sender` does: bound to its address, non-local
// ones allowed (IP_FREEBIND, IP_TRANSPARENT: the restorer has CAP_NET_ADMIN).
UniqueFd sender_socket(const InetAddress& sender, const InetSocket& receiver) {
    UniqueFd fd(::socket(sender.family, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_UDP));
    if (!fd) throw_errno("socket for a datagram queued on {}", describe(receiver));
    int one = 1;
    ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (sender.family == AF_INET6) {
        ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_FREEBIND, &one, sizeof one);
        ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_TRANSPARENT, &one, sizeof one);
    } else {
        ::setsockopt(fd.get(), IPPROTO_IP, IP_FREEBIND, &one, sizeof one);
        ::setsockopt(fd.get(), IPPROTO_IP, IP_TRANSPARENT, &one, sizeof one);
    }
    sockaddr_storage ss{};
    socklen_t len = to_sockaddr(sender, ss);
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) < 0)
        log::warn("a datagram queued on {} was sent by {}; it comes back from another address ({})", describe(receiver),
                  to_string(sender), std::strerror(errno));
    return fd;
}

void refill_datagrams(const InetTable& table, std::map<uint64_t, UniqueFd>& fds, const InetSocket& s) {
    if (s.datagrams.empty()) return;
    int fd = fds.at(s.id).get();
    size_t total = 0;
    for (auto& m : s.datagrams) total += m.data.size() + 1024;  // and what each skb costs besides
    set_int(fd, SOL_SOCKET, SO_RCVBUFFORCE, static_cast<int>(std::min<size_t>(2 * total + (1u << 20), 1u << 30)), s, "SO_RCVBUFFORCE");
    sockaddr_storage to{};
    socklen_t to_len = to_sockaddr(delivery_address(s), to);
    std::map<std::string, UniqueFd> temps;
    for (const InetMessage& m : s.datagrams) {
        // The container's own socket of that address sends it, when there is one.
        int from = -1;
        for (const InetSocket& o : table)
            if (!o.tcp_socket() && o.has(img::inet_flag_bound) && o.family == m.sender.family && o.local.port == m.sender.port &&
                (o.local == m.sender || o.local.any()))
                from = fds.at(o.id).get();
        if (from < 0) {
            auto& t = temps[to_string(m.sender)];
            if (!t) t = sender_socket(m.sender, s);
            from = t.get();
        }
        sockaddr_storage dest = to;
        socklen_t dest_len = to_len;
        if (m.sender.family != s.family) {  // an IPv4 sender to an IPv6 socket: to its mapped loopback
            fail("{}: a datagram from {} of another family; not supported", describe(s), to_string(m.sender));
        }
        ssize_t n = ::sendto(from, m.data.data(), m.data.size(), 0, reinterpret_cast<sockaddr*>(&dest), dest_len);
        if (n != static_cast<ssize_t>(m.data.size()))
            throw_errno("re-queueing a datagram of {} bytes from {} on {} (is the loopback up?)", m.data.size(),
                        to_string(m.sender), describe(s));
    }
}

}  // namespace

std::map<uint64_t, UniqueFd> recreate_inet_sockets(const InetTable& table, pid_t init_pid, const InetRestoreOptions& opts) {
    std::map<uint64_t, UniqueFd> fds;
    run_in_container_ns(init_pid, false, [&] {
        auto repaired = [&](const InetSocket& s) { return s.has(img::inet_flag_repair) && !opts.tcp_close; };
        // 1. Every socket, with what must precede bind.
        for (const InetSocket& s : table) {
            UniqueFd fd(::socket(static_cast<int>(s.family), static_cast<int>(s.type) | SOCK_CLOEXEC, static_cast<int>(s.protocol)));
            if (!fd) throw_errno("socket for {}", describe(s));
            set_options(fd.get(), s, OptionPass::before_bind);
            fds[s.id] = std::move(fd);
        }
        // 2. Names and listeners first: a repaired connection binds with forced reuse
        //    next to them, while a listener could not bind next to it.
        for (const InetSocket& s : table) {
            if (s.has(img::inet_flag_repair)) continue;  // repaired, or closed by --tcp-close
            if (s.has(img::inet_flag_bound)) bind_to(fds[s.id].get(), s.local, s);
            if (s.state == TCP_LISTEN && ::listen(fds[s.id].get(), static_cast<int>(s.backlog)) < 0)
                throw_errno("listen on {}", describe(s));
        }
        // 3. Connections, in repair mode: none leaves it before all exist, so
        //    over loopback neither end hears from a peer not yet there.
        for (const InetSocket& s : table)
            if (repaired(s)) restore_tcp_connection(fds[s.id].get(), s);
        // Clients of connections not yet accepted connect again.
        for (const InetSocket& s : table)
            if (s.has(img::inet_flag_reconnect)) reconnect_pending(fds[s.id].get(), s, false);
        // 4. Datagrams, then UDP peers: a connected socket would take only its peer's.
        for (const InetSocket& s : table)
            if (!s.tcp_socket()) refill_datagrams(table, fds, s);
        for (const InetSocket& s : table)
            if (!s.tcp_socket() && s.has(img::inet_flag_connected)) connect_to(fds[s.id].get(), s.remote, s);
        // 5. Out of repair mode, and the peer's segments let in again.
        for (const InetSocket& s : table)
            if (repaired(s)) finish_tcp_connection(fds[s.id].get(), s);
        for (const InetSocket& s : table)
            if (s.has(img::inet_flag_locked)) {
                std::string why;
                if (!unlock_connection(init_pid, s, why)) log::warn("unlocking {} after the restore: {}", describe(s), why);
            }
        for (const InetSocket& s : table)
            if (repaired(s) && s.state != TCP_ESTABLISHED) finish_half_close(fds[s.id].get(), s);
        // 6. The rest of the options, buffer sizes (getsockopt reported twice what was set), shutdown.
        for (const InetSocket& s : table) {
            int fd = fds[s.id].get();
            set_options(fd, s, OptionPass::after_connect);
            set_options(fd, s, OptionPass::after_data);
            set_int(fd, SOL_SOCKET, SO_SNDBUFFORCE, static_cast<int>(s.sndbuf / 2), s, "SO_SNDBUFFORCE");
            set_int(fd, SOL_SOCKET, SO_RCVBUFFORCE, static_cast<int>(s.rcvbuf / 2), s, "SO_RCVBUFFORCE");
            set_timeout(fd, SO_RCVTIMEO_OLD, s.rcvtimeo_us, s, "SO_RCVTIMEO");
            set_timeout(fd, SO_SNDTIMEO_OLD, s.sndtimeo_us, s, "SO_SNDTIMEO");
            if (s.shutdown && (repaired(s) || !s.tcp_socket())) {
                int how = s.shutdown == 3 ? SHUT_RDWR : s.shutdown == 1 ? SHUT_RD : SHUT_WR;
                if (::shutdown(fd, how) < 0 && errno != ENOTCONN) throw_errno("shutdown of {}", describe(s));
            }
        }
    });
    return fds;
}

}  // namespace myrt::cr::net
