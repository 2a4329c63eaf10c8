#include "cr/net/inet_dump.hpp"

#include "cr/net/inet_diag.hpp"
#include "cr/net/inet_pending.hpp"
#include "cr/net/net_lock.hpp"
#include "cr/net/proc_sockets.hpp"
#include "cr/net/socket_dump_common.hpp"
#include "cr/net/tcp_repair.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

#include <linux/sockios.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include <algorithm>
#include <cstring>
#include <set>

namespace myrt::cr::net {

namespace img = myrt::cr::image;

namespace {

constexpr uint32_t kind = img::file_kind_inet_socket;
constexpr size_t max_datagram = 65536;

bool is_inet_proto(const std::string& proto) {
    return proto == "TCP" || proto == "TCPv6" || proto == "UDP" || proto == "UDPv6";
}

std::string proto_of(const std::string& fd_path) {
    char buf[64] = {};
    ssize_t n = ::getxattr(fd_path.c_str(), "system.sockprotoname", buf, sizeof buf - 1);
    return n > 0 ? std::string(buf, ::strnlen(buf, static_cast<size_t>(n))) : std::string();
}

int get_int(int sock, int level, int name, const std::string& who, const char* what) {
    int v = 0;
    socklen_t len = sizeof v;
    if (::getsockopt(sock, level, name, &v, &len) < 0) throw_errno("getsockopt {} on {}", what, who);
    return v;
}

std::vector<img::InetOption> read_options(int sock, const InetSocket& s, const std::string& who) {
    std::vector<img::InetOption> out;
    for (const InetOptionInfo& o : inet_options_for(s.family)) {
        if ((o.tcp_only && !s.tcp_socket()) || (o.udp_only && s.tcp_socket())) continue;
        img::InetOption opt{o.level, o.name, 0, 0};
        if (o.level == SOL_SOCKET && o.name == SO_LINGER) {
            linger l{};
            socklen_t len = sizeof l;
            if (::getsockopt(sock, SOL_SOCKET, SO_LINGER, &l, &len) < 0) throw_errno("getsockopt SO_LINGER on {}", who);
            opt.value = l.l_onoff;
            opt.value2 = l.l_linger;
        } else {
            socklen_t len = sizeof opt.value;
            if (::getsockopt(sock, o.level, o.name, &opt.value, &len) < 0) {
                if (errno == ENOPROTOOPT || errno == EOPNOTSUPP) continue;  // not on this kernel
                throw_errno("getsockopt {} on {}", o.text, who);
            }
        }
        out.push_back(opt);
    }
    return out;
}

// The UDP receive queue without consuming it: MSG_PEEK from SO_PEEK_OFF 0,
// each peek moving on by one datagram; the task's own SO_PEEK_OFF is put back.
std::vector<InetMessage> peek_datagrams(int sock, const std::string& who) {
    int saved = get_int(sock, SOL_SOCKET, SO_PEEK_OFF, who, "SO_PEEK_OFF");
    int zero = 0;
    check(::setsockopt(sock, SOL_SOCKET, SO_PEEK_OFF, &zero, sizeof zero), "SO_PEEK_OFF on {}", who);
    std::vector<InetMessage> out;
    std::vector<std::byte> buf(max_datagram);
    std::string error;
    for (;;) {
        sockaddr_storage from{};
        iovec iov{buf.data(), buf.size()};
        msghdr msg{};
        msg.msg_name = &from;
        msg.msg_namelen = sizeof from;
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        ssize_t n = ::recvmsg(sock, &msg, MSG_PEEK | MSG_DONTWAIT);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) break;
        if (n < 0) {
            error = fmt::format("peeking at the receive queue of {}: {}", who, std::strerror(errno));
            break;
        }
        if (n == 0) {
            // A zero-length datagram does not move the peek offset: it would be read forever.
            error = fmt::format("{}: a zero-length datagram in its receive queue is not supported", who);
            break;
        }
        InetMessage m;
        m.data.assign(buf.begin(), buf.begin() + n);
        m.sender = from_sockaddr(from);
        out.push_back(std::move(m));
    }
    ::setsockopt(sock, SOL_SOCKET, SO_PEEK_OFF, &saved, sizeof saved);
    if (!error.empty()) fail("{}", error);
    return out;
}

uint64_t netns_inode_of_socket(int sock, const std::string& who) {
    UniqueFd ns(::ioctl(sock, SIOCGSKNS));
    if (!ns) throw_errno("SIOCGSKNS on {}", who);
    struct stat sb {};
    if (::fstat(ns.get(), &sb) < 0) throw_errno("fstat of the network namespace of {}", who);
    return sb.st_ino;
}

}  // namespace

void InetDumpState::undo() noexcept {
    for (UniqueFd& fd : repaired) tcp_repair_off(fd.get());
    repaired.clear();
    // Accepted pending connections back in their listener's queue, oldest first.
    for (Accepted& a : accepted) {
        a.child.reset();  // in repair mode: gone without a FIN or RST
        std::string why;
        if (!requeue_pending_connection(a.client.get(), a.saved, why))
            log::warn("putting back the pending connection of {}: {}", describe(a.saved), why);
    }
    accepted.clear();
    for (const InetSocket& s : locked) {
        std::string why;
        if (!unlock_connection(init_pid, s, why)) log::warn("unlocking {}: {}", describe(s), why);
    }
    locked.clear();
}

InetDumpState::~InetDumpState() {
    if (!committed) undo();
}

InetDumpState& inet_dump_state(files::DumpContext& ctx) {
    auto& p = ctx.state_of<std::shared_ptr<InetDumpState>>(kind);
    if (!p) p = std::make_shared<InetDumpState>();
    return *p;
}

void build_inet_table(files::DumpContext& ctx, InetDumpState& st) {
    if (st.built) return;
    if (ctx.init_pid <= 0) fail("inet sockets: the container's init is not known to the checkpoint");
    st.init_pid = ctx.init_pid;
    auto pids = container_pids(ctx.init_pid);
    std::set<pid_t> inside(pids.begin(), pids.end());
    std::set<uint64_t> inodes;
    for (pid_t p : pids)
        for (auto [fd, ino] : socket_fds_of(p)) {
            if (st.holders.count(ino) || is_inherited_stdio(ctx, p, fd, ino) ||
                !is_inet_proto(proto_of(fmt::format("/proc/{}/fd/{}", p, fd))))
                continue;
            st.holders[ino] = {p, fd};
            inodes.insert(ino);
        }
    // A socket another process holds too would be split in two by the restore.
    for (auto& [ino, held] : outside_holders(inodes, inside)) {
        auto [pid, fd] = st.holders[ino];
        fail("socket:[{}] (fd {} of pid {}) is also held by {} outside the container: a socket shared with the outside "
             "cannot be checkpointed",
             ino, fd, pid, held);
    }
    if (st.holders.empty()) {
        st.built = true;
        return;
    }
    auto diag = inet_sockets_of_netns(ctx.init_pid);
    struct stat nsb {};
    if (::stat(fmt::format("/proc/{}/ns/net", ctx.init_pid).c_str(), &nsb) < 0) throw_errno("stat the container's network namespace");

    std::map<uint64_t, UniqueFd> socks;
    for (auto& [ino, at] : st.holders) {
        auto [pid, fd] = at;
        std::string who = fmt::format("socket:[{}] (fd {} of pid {})", ino, fd, pid);
        UniqueFd sock = grab_fd(pid, fd);
        if (netns_inode_of_socket(sock.get(), who) != nsb.st_ino)
            fail("{} belongs to another network namespace than the container's: not supported", who);
        InetSocket s;
        s.id = ino;
        s.family = static_cast<uint32_t>(get_int(sock.get(), SOL_SOCKET, SO_DOMAIN, who, "SO_DOMAIN"));
        s.type = static_cast<uint32_t>(get_int(sock.get(), SOL_SOCKET, SO_TYPE, who, "SO_TYPE"));
        s.protocol = static_cast<uint32_t>(get_int(sock.get(), SOL_SOCKET, SO_PROTOCOL, who, "SO_PROTOCOL"));
        sockaddr_storage ss{};
        socklen_t len = sizeof ss;
        if (::getsockname(sock.get(), reinterpret_cast<sockaddr*>(&ss), &len) < 0) throw_errno("getsockname on {}", who);
        s.local = from_sockaddr(ss);
        if (s.local.family == 0) s.local.family = static_cast<uint16_t>(s.family);
        s.remote.family = static_cast<uint16_t>(s.family);
        len = sizeof ss;
        bool connected = ::getpeername(sock.get(), reinterpret_cast<sockaddr*>(&ss), &len) == 0;
        if (connected) s.remote = from_sockaddr(ss);
        if (s.local.port != 0) s.flags |= img::inet_flag_bound;
        who = describe(s) + fmt::format(" (fd {} of pid {})", fd, pid);
        if (s.tcp_socket()) {
            tcp_info info{};
            len = sizeof info;
            if (::getsockopt(sock.get(), IPPROTO_TCP, TCP_INFO, &info, &len) < 0) throw_errno("getsockopt TCP_INFO on {}", who);
            s.state = info.tcpi_state;
            if (!tcp_connection_state(s.state) && s.state != TCP_LISTEN && s.state != TCP_CLOSE)
                fail("{} is in TCP state {} (a connect or a handshake in progress): not supported", who, tcp_state_name(s.state));
            // Closed after both FINs (or a reset) with bytes still unread: they would be lost.
            int inq = 0;
            if (s.state == TCP_CLOSE && connected && ::ioctl(sock.get(), SIOCINQ, &inq) == 0 && inq > 0)
                fail("{} is a closed connection with {} bytes not yet read: not supported", who, inq);
        } else {
            s.state = connected ? TCP_ESTABLISHED : TCP_CLOSE;
        }
        if (s.tcp_socket() ? tcp_connection_state(s.state) : s.state == TCP_ESTABLISHED) s.flags |= img::inet_flag_connected;
        for (const InetDiag& d : diag)
            if (d.ino == ino) {
                s.shutdown = d.shutdown;
                if (s.state == TCP_LISTEN) s.backlog = d.wqueue;
            }
        if (s.state == TCP_LISTEN && s.backlog == 0) s.backlog = 1;
        s.options = read_options(sock.get(), s, who);
        s.sndbuf = static_cast<uint32_t>(get_int(sock.get(), SOL_SOCKET, SO_SNDBUF, who, "SO_SNDBUF"));
        s.rcvbuf = static_cast<uint32_t>(get_int(sock.get(), SOL_SOCKET, SO_RCVBUF, who, "SO_RCVBUF"));
        s.rcvtimeo_us = socket_timeout_us(sock.get(), SO_RCVTIMEO_OLD, who, "SO_RCVTIMEO");
        s.sndtimeo_us = socket_timeout_us(sock.get(), SO_SNDTIMEO_OLD, who, "SO_SNDTIMEO");
        if (!s.tcp_socket()) {
            int pending = 0;
            if (::ioctl(sock.get(), SIOCOUTQ, &pending) == 0 && pending > 0 &&
                get_int(sock.get(), IPPROTO_UDP, UDP_CORK, who, "UDP_CORK"))
                fail("{} is corked (UDP_CORK) with {} bytes not yet sent: not supported", who, pending);
            s.datagrams = peek_datagrams(sock.get(), who);
        }
        st.table.push_back(std::move(s));
        socks[ino] = std::move(sock);
    }
    auto find_socket = [&](auto pred) -> InetSocket* {
        for (InetSocket& s : st.table)
            if (pred(s)) return &s;
        return nullptr;
    };

    // Connections waiting in a listener's accept queue have no fd (inode 0):
    // their client, when it is the container's, connects again on restore.
    std::map<uint64_t, std::vector<InetSocket*>> queued;  // listener id -> its queue's clients
    std::set<uint64_t> with_data;                          // listeners one of whose clients already sent data
    for (const InetDiag& d : diag) {
        if (d.protocol != IPPROTO_TCP || d.ino != 0 || (d.state != TCP_ESTABLISHED && d.state != TCP_CLOSE_WAIT)) continue;
        InetSocket* l = find_socket([&](const InetSocket& s) {
            return s.state == TCP_LISTEN && s.local.family == d.local.family && s.local.port == d.local.port &&
                   (s.local.any() || s.local.addr == d.local.addr);
        });
        if (!l) continue;  // not in a container listener's queue
        std::string who = fmt::format("a connection from {} waiting in the accept queue of {}", to_string(d.remote), describe(*l));
        InetSocket* c = find_socket([&](const InetSocket& s) {
            return s.tcp_socket() && tcp_connection_state(s.state) && s.local == d.remote && s.remote == d.local;
        });
        if (!c)
            fail("{}: its client is outside the container, and a connection not yet accepted cannot be moved; not "
                 "supported",
                 who);
        if (d.state != TCP_ESTABLISHED || c->state != TCP_ESTABLISHED)
            fail("{}: its client {} has shut it down ({}) before accept(); not supported", who, describe(*c),
                 tcp_state_name(c->state));
        int inq = 0, outq = 0;
        ::ioctl(socks[c->id].get(), SIOCINQ, &inq);
        ::ioctl(socks[c->id].get(), SIOCOUTQ, &outq);
        if (inq != 0 || outq != 0) fail("{}: its client {} has {} bytes queued; not supported", who, describe(*c), inq + outq);
        if (d.rqueue != 0) with_data.insert(l->id);
        c->flags |= img::inet_flag_reconnect;
        c->listener_id = l->id;
        queued[l->id].push_back(c);
    }
    // The data clients sent before accept() sits in a socket no process holds:
    // the listener's whole queue is accepted (a copy of the listener: the
    // task's file), read, and, unless the container is killed, put back in
    // the same order by its clients connecting again (undo).
    for (uint64_t lid : with_data) {
        auto [lpid, lfd] = st.holders[lid];
        UniqueFd listener = grab_fd(lpid, lfd);
        InetSocket* l = find_socket([&](const InetSocket& s) { return s.id == lid; });
        for (size_t i = 0; i < queued[lid].size(); ++i) {
            UniqueFd child = accept_pending(listener.get(), describe(*l));
            sockaddr_storage ss{};
            socklen_t len = sizeof ss;
            if (::getpeername(child.get(), reinterpret_cast<sockaddr*>(&ss), &len) < 0)
                throw_errno("getpeername of a connection accepted on {}", describe(*l));
            InetAddress peer = from_sockaddr(ss);
            InetSocket* c = find_socket([&](const InetSocket& s) { return s.has(img::inet_flag_reconnect) && s.local == peer; });
            if (!c) {
                tcp_repair_on(child.get(), describe(*l));
                fail("{}: accepted a connection from {}, which is not a client of its queue", describe(*l), to_string(peer));
            }
            std::string who = fmt::format("the connection of {} accepted on {}", describe(*c), describe(*l));
            tcp_repair_on(child.get(), who);  // from now on closing it sends nothing
            InetDumpState::Accepted a{std::move(child), UniqueFd(::dup(socks[c->id].get())), *c};
            c->tcp.send_queue = peek_early_data(a.child.get(), who);
            a.saved.tcp.send_queue = c->tcp.send_queue;
            st.accepted.push_back(std::move(a));
        }
    }

    // Established connections: TCP_REPAIR, after the lock that keeps the
    // peer's segments out from now until the restore.
    for (InetSocket& s : st.table) {
        if (!s.tcp_socket() || !tcp_connection_state(s.state) || s.has(img::inet_flag_reconnect)) continue;
        auto [pid, fd] = st.holders[s.id];
        std::string who = describe(s) + fmt::format(" (fd {} of pid {})", fd, pid);
        if (!st.tcp_established)
            fail("{} is an established TCP connection ({}): pass --tcp-established to checkpoint it", who, tcp_state_name(s.state));
        // The peer's FIN is re-delivered through a raw socket; that works for
        // peers in the container, not yet through an external namespace.
        if (st.netns_external && tcp_fin_received(s.state))
            fail("{} was shut down by its peer outside the container ({}): restoring a half-closed connection with an "
                 "outside peer is not supported",
                 who, tcp_state_name(s.state));
        if (st.netns_external) {
            lock_connection(ctx.init_pid, s);
            st.locked.push_back(s);
            s.flags |= img::inet_flag_locked;
        }
        UniqueFd& sock = socks[s.id];
        tcp_repair_on(sock.get(), who);
        st.repaired.push_back(UniqueFd(::dup(sock.get())));
        s.tcp = dump_tcp_connection(sock.get(), s.state, who);
        s.flags |= img::inet_flag_repair;
        if (s.tcp.timestamps) s.flags |= img::inet_flag_timestamps;
        if (s.tcp.sack) s.flags |= img::inet_flag_sack;
        if (s.tcp.wscale) s.flags |= img::inet_flag_wscale;
    }
    st.built = true;
}

void check_inet_fd(pid_t pid, const files::OpenFd& fd, files::DumpContext& ctx, InetDumpState& st) {
    build_inet_table(ctx, st);
    uint64_t ino = socket_ino(fd.link);
    if (!st.holders.count(ino))
        fail("fd {} of pid {} ({}, {}) is not a socket of the container's table: not supported", fd.fd, pid, fd.link, fd.sock_proto);
}

}  // namespace myrt::cr::net
