#include "cr/net/unix_dump.hpp"

#include "cr/net/proc_sockets.hpp"
#include "cr/net/socket_dump_common.hpp"

#include "util/error.hpp"
#include "util/fd.hpp"

#include <fcntl.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <set>

namespace myrt::cr::net {

namespace img = myrt::cr::image;

namespace {

constexpr uint32_t kind = img::file_kind_unix_socket;
constexpr size_t peek_buffer = 4u << 20;   // bigger than any datagram the default limits allow
constexpr size_t stream_chunk = 1u << 20;  // one UNIX_MESSAGE per this many stream bytes

// Outside processes holding socket `ino`, for the leak message.
std::string holders_message(uint64_t ino, const std::set<pid_t>& inside) {
    auto found = outside_holders({ino}, inside);
    return found.empty() ? "no process found holding it" : "held by " + found.begin()->second;
}

int get_int(int sock, int opt, const std::string& who, const char* what) {
    int v = 0;
    socklen_t len = sizeof v;
    if (::getsockopt(sock, SOL_SOCKET, opt, &v, &len) < 0) throw_errno("getsockopt {} on {}", what, who);
    return v;
}

std::string address_name(const sockaddr_un& a, socklen_t len) {
    if (len <= offsetof(sockaddr_un, sun_path)) return {};
    std::string name(a.sun_path, len - offsetof(sockaddr_un, sun_path));
    // A path comes back NUL-terminated (the terminator counted or not); an abstract name is all bytes.
    if (!name.empty() && name[0] != '\0') name = name.substr(0, name.find('\0'));
    return name;
}

std::string peer_address(int sock) {
    sockaddr_un a{};
    socklen_t len = sizeof a;
    if (::getpeername(sock, reinterpret_cast<sockaddr*>(&a), &len) < 0) return {};
    return address_name(a, len);
}

// The receive queue without consuming it: MSG_PEEK from offset 0 with
// SO_PEEK_OFF, which moves on by what each peek returned; the task's own
// SO_PEEK_OFF is put back afterwards.
std::vector<UnixMessage> peek_queue(int sock, const UnixSocket& s, const std::string& who) {
    std::vector<UnixMessage> out;
    int zero = 0;
    check(::setsockopt(sock, SOL_SOCKET, SO_PEEK_OFF, &zero, sizeof zero), "SO_PEEK_OFF on {}", who);
    std::vector<std::byte> buf(s.type == SOCK_STREAM ? stream_chunk : peek_buffer);
    std::string error;
    for (;;) {
        sockaddr_un from{};
        alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 253) + CMSG_SPACE(sizeof(ucred))];
        iovec iov{buf.data(), buf.size()};
        msghdr msg{};
        msg.msg_name = &from;
        msg.msg_namelen = sizeof from;
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control;
        msg.msg_controllen = sizeof control;
        ssize_t n = ::recvmsg(sock, &msg, MSG_PEEK | MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) break;
        if (n < 0) {
            error = fmt::format("peeking at the receive queue of {}: {}", who, std::strerror(errno));
            break;
        }
        bool fds = (msg.msg_flags & MSG_CTRUNC) != 0;
        for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
            if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
                fds = true;
                size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                for (size_t i = 0; i < count; ++i) {
                    int f;
                    std::memcpy(&f, CMSG_DATA(c) + i * sizeof(int), sizeof f);
                    ::close(f);
                }
            }
        if (fds) {
            error = fmt::format("{}: a message in its receive queue carries file descriptors (SCM_RIGHTS); "
                                "checkpoint of file descriptors in flight is not supported", who);
            break;
        }
        if (msg.msg_flags & MSG_TRUNC) {
            error = fmt::format("{}: a datagram in its receive queue is over {} bytes", who, buf.size());
            break;
        }
        if (n == 0 && s.type != SOCK_DGRAM) break;  // end of stream after a shutdown
        UnixMessage m;
        m.data.assign(buf.begin(), buf.begin() + n);
        if (s.type == SOCK_DGRAM) m.sender_name = address_name(from, msg.msg_namelen);
        out.push_back(std::move(m));
        if (n == 0) break;  // a zero-length datagram does not move the peek offset: stop at it
    }
    int back = s.peek_off;
    ::setsockopt(sock, SOL_SOCKET, SO_PEEK_OFF, &back, sizeof back);
    if (!error.empty()) fail("{}", error);
    return out;
}

}  // namespace

UnixDumpState& unix_dump_state(files::DumpContext& ctx) {
    auto& p = ctx.state_of<std::shared_ptr<UnixDumpState>>(kind);
    if (!p) p = std::make_shared<UnixDumpState>();
    return *p;
}

void build_unix_table(files::DumpContext& ctx, UnixDumpState& st) {
    if (st.built) return;
    if (ctx.init_pid <= 0) fail("unix sockets: the container's init is not known to the checkpoint");
    st.diag = unix_sockets_of_netns(ctx.init_pid);
    auto pids = container_pids(ctx.init_pid);
    std::set<pid_t> inside(pids.begin(), pids.end());
    for (pid_t p : pids)
        for (auto [fd, ino] : socket_fds_of(p)) {
            if (!st.diag.count(ino) || st.holders.count(ino) || is_inherited_stdio(ctx, p, fd, ino)) continue;
            st.holders[ino] = {p, fd};
        }

    auto listener_named = [&](const std::string& name, uint32_t type) -> const UnixDiag* {
        for (auto& [ino, d] : st.diag)
            if (d.state == TCP_LISTEN && d.type == type && d.name == name) return &d;
        return nullptr;
    };
    auto is_accepted = [&](const UnixDiag& d) {
        if ((d.type != SOCK_STREAM && d.type != SOCK_SEQPACKET) || d.state != TCP_ESTABLISHED || d.name.empty()) return false;
        if (listener_named(d.name, d.type)) return true;
        auto p = st.diag.find(d.peer);
        if (p == st.diag.end()) return false;
        if (p->second.name.empty()) return true;
        if (listener_named(p->second.name, d.type)) return false;
        return d.ino > p->second.ino;  // both named, listener gone: the accepted end is the younger one
    };
    std::set<uint64_t> embryos;
    for (auto& [ino, at] : st.holders)
        for (uint64_t e : st.diag[ino].icons) embryos.insert(e);
    auto in_container = [&](uint64_t ino) { return st.holders.count(ino) || embryos.count(ino); };

    // Pending connections per listener, oldest first: (embryo id, connecting socket).
    // This kernel's icons may report the connecting socket's inode itself (the
    // embryo has none); the embryo then gets a synthetic id. Where neither end
    // names the other, connecting sockets with no peer whose peer name is the
    // listener's are matched in creation (inode) order.
    constexpr uint64_t synthetic = 1ull << 63;
    std::map<uint64_t, std::vector<std::pair<uint64_t, uint64_t>>> pending_of;
    std::map<uint64_t, uint64_t> connector_embryo;
    for (auto& [lino, lat] : st.holders) {
        const UnixDiag& l = st.diag[lino];
        if (l.state != TCP_LISTEN || l.icons.empty()) continue;
        auto& pend = pending_of[lino];
        for (uint64_t e : l.icons) {
            if (st.holders.count(e)) {
                pend.emplace_back(e | synthetic, e);
                connector_embryo[e] = e | synthetic;
            } else {
                auto it = st.diag.find(e);
                pend.emplace_back(e, it == st.diag.end() ? 0 : it->second.peer);
                if (pend.back().second) connector_embryo[pend.back().second] = e;
            }
            embryos.insert(pend.back().first);
        }
    }
    for (auto& [lino, pend] : pending_of) {
        const UnixDiag& l = st.diag[lino];
        std::vector<uint64_t> candidates;
        for (auto& [cino, cat] : st.holders) {
            const UnixDiag& c = st.diag[cino];
            if (c.type != l.type || c.state != TCP_ESTABLISHED || c.peer != 0 || connector_embryo.count(cino)) continue;
            UniqueFd cs = grab_fd(cat.first, cat.second);
            if (peer_address(cs.get()) == l.name) candidates.push_back(cino);
        }
        size_t next = 0;
        for (auto& [e, c] : pend)
            if (c == 0 && next < candidates.size()) {
                c = candidates[next++];
                connector_embryo[c] = e;
            }
    }

    for (auto& [ino, at] : st.holders) {
        const UnixDiag& d = st.diag[ino];
        auto [pid, fd] = at;
        std::string who = fmt::format("unix socket:[{}] {} (fd {} of pid {})", ino, printable_name(d.name), fd, pid);
        UnixSocket s;
        s.id = ino;
        s.type = d.type;
        s.state = d.state;
        s.shutdown = d.shutdown;
        s.name = d.name;
        if (d.type != SOCK_STREAM && d.type != SOCK_DGRAM && d.type != SOCK_SEQPACKET)
            fail("{}: socket type {} is not supported", who, d.type);
        if (d.state != TCP_ESTABLISHED && d.state != TCP_CLOSE && d.state != TCP_LISTEN)
            fail("{}: socket state {} (a connect in progress?) is not supported", who, d.state);
        if (d.state == TCP_LISTEN) s.backlog = d.wqueue;
        if (!d.name.empty()) {
            if (is_accepted(d)) s.flags |= img::unix_flag_accepted;
            else s.flags |= img::unix_flag_bound;
            if (d.name[0] != '\0') {
                if (d.name[0] != '/')
                    fail("{}: bound to the relative path {}; only absolute paths can be bound again", who, d.name);
                struct stat sb {};
                std::string on_disk = ctx.root + d.name;
                if (::lstat(on_disk.c_str(), &sb) == 0 && S_ISSOCK(sb.st_mode) && d.has_vfs && sb.st_ino == d.vfs_ino) {
                    s.flags |= img::unix_flag_path_present;
                    if (s.has(img::unix_flag_bound)) {  // the binder's file: its mode and owner as chmod/chown left them
                        s.flags |= img::unix_flag_file_attrs;
                        s.file_mode = sb.st_mode & 07777;
                        s.file_uid = sb.st_uid;
                        s.file_gid = sb.st_gid;
                    }
                }
            }
        }
        UniqueFd sock = grab_fd(pid, fd);
        s.sndbuf = static_cast<uint32_t>(get_int(sock.get(), SO_SNDBUF, who, "SO_SNDBUF"));
        s.rcvbuf = static_cast<uint32_t>(get_int(sock.get(), SO_RCVBUF, who, "SO_RCVBUF"));
        if (get_int(sock.get(), SO_PASSCRED, who, "SO_PASSCRED")) s.flags |= img::unix_flag_passcred;
        s.peek_off = get_int(sock.get(), SO_PEEK_OFF, who, "SO_PEEK_OFF");
        s.rcvtimeo_us = socket_timeout_us(sock.get(), SO_RCVTIMEO_OLD, who, "SO_RCVTIMEO");
        s.sndtimeo_us = socket_timeout_us(sock.get(), SO_SNDTIMEO_OLD, who, "SO_SNDTIMEO");

        uint64_t peer = d.peer;
        if (!peer && connector_embryo.count(ino)) peer = connector_embryo[ino];
        if (peer) {
            if (in_container(peer)) {
                s.peer_id = peer;
            } else {
                std::string peer_desc = fmt::format("socket:[{}] {}", peer,
                                                    st.diag.count(peer) ? printable_name(st.diag[peer].name) : "(another network namespace)");
                if (!st.allow_external)
                    fail("{} is connected to {} outside the container ({}): an external unix socket; "
                         "pass --ext-unix-sk to checkpoint it anyway",
                         who, peer_desc, holders_message(peer, inside));
                s.flags |= img::unix_flag_external_peer;
                s.peer_name = peer_address(sock.get());
            }
        } else if (d.state == TCP_ESTABLISHED && s.connection_oriented()) {
            s.flags |= img::unix_flag_orphan;  // the peer closed; data and EOF remain
        }
        if (s.type == SOCK_DGRAM && s.peer_id && s.peer_id != s.id) {
            const UnixDiag& p = st.diag[s.peer_id];
            bool pair = p.peer == s.id && p.name.empty() && d.name.empty();
            if (!pair && p.name.empty())
                fail("{} is connected to the unnamed datagram socket:[{}] that is not connected back: not supported", who, s.peer_id);
        }
        // A stream or seqpacket socket never connected has no queue (a peek gets ENOTCONN).
        bool unconnected = s.connection_oriented() && d.state == TCP_CLOSE;
        if (d.state != TCP_LISTEN && !unconnected) s.queue = peek_queue(sock.get(), s, who);
        if (s.type == SOCK_DGRAM)
            for (UnixMessage& m : s.queue) {
                if (s.peer_id && (m.sender_name.empty() || m.sender_name == st.diag[s.peer_id].name)) {
                    m.sender_id = s.peer_id;
                    continue;
                }
                if (m.sender_name.empty()) continue;
                for (auto& [hino, hat] : st.holders)
                    if (st.diag[hino].type == SOCK_DGRAM && st.diag[hino].name == m.sender_name) m.sender_id = hino;
            }
        st.table.push_back(std::move(s));
    }
    // Pending connections, each after its listener, oldest first.
    for (auto& [lino, pend] : pending_of) {
        const UnixDiag& l = st.diag[lino];
        auto [lpid, lfd] = st.holders[lino];
        for (auto [e, c] : pend) {
            std::string who = fmt::format("a pending connection on unix listener socket:[{}] {} (fd {} of pid {})", lino,
                                          printable_name(l.name), lfd, lpid);
            if (!c || !st.holders.count(c)) {
                if (st.allow_external) continue;  // the outside client's connection is dropped (docs/cr-net.md)
                fail("{} comes from socket:[{}] outside the container ({}); pass --ext-unix-sk to drop it", who, c,
                     holders_message(c, inside));
            }
            const UnixDiag& cd = st.diag[c];
            // Bytes the client sent before accept() sit in the embryo's queue, out of reach.
            uint32_t sent = (e & synthetic) ? cd.wqueue : (st.diag.count(e) ? st.diag[e].rqueue : 0);
            if (sent != 0)
                fail("{} from socket:[{}] (fd {} of pid {}): {} bytes were sent on it before accept(); not supported", who, c,
                     st.holders[c].second, st.holders[c].first, sent);
            UnixSocket s;
            s.id = e;
            s.type = l.type;
            s.state = TCP_ESTABLISHED;
            s.flags = img::unix_flag_embryo;
            s.listener_id = lino;
            s.peer_id = c;
            s.name = l.name;
            st.table.push_back(std::move(s));
        }
    }
    st.built = true;
}

void check_unix_fd(pid_t pid, const files::OpenFd& fd, files::DumpContext& ctx, UnixDumpState& st) {
    build_unix_table(ctx, st);
    uint64_t ino = socket_ino(fd.link);
    if (st.holders.count(ino)) return;
    UniqueFd sock = grab_fd(pid, fd.fd);
    int family = get_int(sock.get(), SO_DOMAIN, fmt::format("fd {} of pid {}", fd.fd, pid), "SO_DOMAIN");
    if (family == AF_UNIX)
        fail("fd {} of pid {} is a unix socket ({}) of another network namespace than the container's: not supported", fd.fd,
             pid, fd.link);
    const char* names[] = {"AF_UNSPEC", "AF_UNIX", "AF_INET"};
    std::string fam = family == AF_INET6 ? "AF_INET6" : family == AF_NETLINK ? "AF_NETLINK" : family == AF_PACKET ? "AF_PACKET"
                      : family >= 0 && family < 3 ? names[family] : fmt::format("family {}", family);
    // The protocol the socket layer names (UDPLITE, PACKET, NETLINK, RAW...) says which kind it is.
    std::string what = fd.sock_proto.empty() ? fd.link : fmt::format("{} {}", fd.sock_proto, fd.link);
    fail("fd {} of pid {} is a socket of family {} ({}): not supported (unix, TCP and UDP sockets can be checkpointed)", fd.fd,
         pid, fam, what);
}

}  // namespace myrt::cr::net
