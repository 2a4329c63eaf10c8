#include "cr/net/unix_dump.hpp"

#include "cr/net/proc_sockets.hpp"
#include "cr/net/unix_socket.hpp"
#include "cr/net/socket_dump_common.hpp"

#include "cr/files/path_in_root.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/scm.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/sysmacros.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <set>
#include <sstream>

namespace myrt::cr::net {

namespace img = myrt::cr::image;

namespace {

constexpr uint32_t kind = img::file_kind_unix_socket;
constexpr size_t peek_buffer = 4u << 20;   // bigger than any datagram the default limits allow
constexpr size_t stream_chunk = 1u << 20;  // one UNIX_MESSAGE per this many stream bytes
constexpr uint32_t overflow_id = 65534;    // kernel.overflowuid/overflowgid: what an id the reader cannot see reads as

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

// The sender's pid as the container sees it: the last NSpid of a container
// process, 0 for one outside (a restorer) or gone.
int32_t pid_in_container(pid_t host_pid, const std::set<pid_t>& inside) {
    if (host_pid <= 0 || !inside.count(host_pid)) return 0;
    std::ifstream in(fmt::format("/proc/{}/status", host_pid));
    std::string line;
    while (std::getline(in, line))
        if (line.starts_with("NSpid:")) {
            std::istringstream f(line.substr(6));
            int32_t v = 0, last = 0;
            while (f >> v) last = v;
            return last;
        }
    return 0;
}

// The receive queue without consuming it: MSG_PEEK from offset 0 with
// SO_PEEK_OFF, which moves on by what each peek returned; the task's own
// SO_PEEK_OFF is put back afterwards. A peek copies the fds in flight of the
// message into this process (they go into `received`) and shows the
// credentials when the socket passes them.
std::vector<UnixMessage> peek_queue(int sock, uint32_t type, int peek_off, const std::string& who,
                                    std::vector<UniqueFd>& received, const std::set<pid_t>& inside) {
    std::vector<UnixMessage> out;
    int zero = 0;
    check(::setsockopt(sock, SOL_SOCKET, SO_PEEK_OFF, &zero, sizeof zero), "SO_PEEK_OFF on {}", who);
    std::vector<std::byte> buf(type == SOCK_STREAM ? stream_chunk : peek_buffer);
    ScmReceiveBuffer control(img::unix_scm_max_fds);
    std::string error;
    for (;;) {
        sockaddr_un from{};
        iovec iov{buf.data(), buf.size()};
        msghdr msg{};
        msg.msg_name = &from;
        msg.msg_namelen = sizeof from;
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        control.attach(msg);
        ssize_t n = ::recvmsg(sock, &msg, MSG_PEEK | MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) break;
        if (n < 0) {
            error = fmt::format("peeking at the receive queue of {}: {}", who, std::strerror(errno));
            break;
        }
        ScmReceived scm = take_scm(msg);
        if (scm.truncated) {
            error = fmt::format("{}: a message in its receive queue carries more fds than one message can", who);
            break;
        }
        if (msg.msg_flags & MSG_TRUNC) {
            error = fmt::format("{}: a datagram in its receive queue is over {} bytes", who, buf.size());
            break;
        }
        if (n == 0 && type != SOCK_DGRAM) break;  // end of stream after a shutdown
        // A stream peek goes on through plain messages up to the one with fds
        // (and on this kernel shows those fds at any length): the plain bytes
        // before it come back in the same message (docs/cr-net.md).
        UnixMessage m;
        m.data.assign(buf.begin(), buf.begin() + n);
        if (type == SOCK_DGRAM) m.sender_name = address_name(from, msg.msg_namelen);
        for (UniqueFd& f : scm.fds) {
            m.fds.push_back(UnixFdInFlight{0, 0, 0, f.get()});
            received.push_back(std::move(f));
        }
        // A message sent with no credentials shows pid 0 and the overflow ids: none to keep.
        if (scm.creds && scm.creds->pid == 0 && scm.creds->uid == overflow_id && scm.creds->gid == overflow_id) scm.creds.reset();
        if (scm.creds) {
            m.has_creds = true;
            m.cred_pid = pid_in_container(scm.creds->pid, inside);
            m.cred_uid = scm.creds->uid;
            m.cred_gid = scm.creds->gid;
        }
        out.push_back(std::move(m));
        if (n == 0) break;  // a zero-length datagram does not move the peek offset: stop at it
    }
    ::setsockopt(sock, SOL_SOCKET, SO_PEEK_OFF, &peek_off, sizeof peek_off);
    if (!error.empty()) fail("{}", error);
    return out;
}

// Whether `sb` is the socket's own file (sock_diag's inode and device; the
// kernel reports the device as its internal dev_t, major << 20 | minor).
bool is_socket_file_of(const struct stat& sb, const UnixDiag& d) {
    return S_ISSOCK(sb.st_mode) && sb.st_ino == d.vfs_ino && major(sb.st_dev) == (d.vfs_dev >> 20) &&
           minor(sb.st_dev) == (d.vfs_dev & 0xfffff);
}

// A bounded walk of the container's tree for the directory holding the
// socket's file (a process that bound relatively, then changed directory).
constexpr size_t max_walked_dirs = 50000;

enum class WalkResult { found, absent, too_big };

WalkResult walk_for_socket_file(const std::string& root, const UnixDiag& d, std::string& found) {
    std::vector<std::string> todo{""};  // container paths below root ("" = the root)
    size_t walked = 0;
    while (!todo.empty()) {
        std::string dir = std::move(todo.back());
        todo.pop_back();
        if (++walked > max_walked_dirs) return WalkResult::too_big;
        UniqueFd dfd(::open((root + (dir.empty() ? "/" : dir)).c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!dfd) continue;
        DIR* raw = ::fdopendir(::dup(dfd.get()));
        if (!raw) continue;
        std::unique_ptr<DIR, decltype(&::closedir)> dp(raw, &::closedir);
        while (dirent* e = ::readdir(dp.get())) {
            std::string n = e->d_name;
            if (n == "." || n == "..") continue;
            if (dir.empty() && (n == "proc" || n == "sys")) continue;
            struct stat sb {};
            if (::fstatat(dfd.get(), n.c_str(), &sb, AT_SYMLINK_NOFOLLOW) < 0) continue;
            if (S_ISDIR(sb.st_mode)) todo.push_back(dir + "/" + n);
        }
        struct stat sb {};
        if (::fstatat(dfd.get(), d.name.c_str(), &sb, AT_SYMLINK_NOFOLLOW) == 0 && is_socket_file_of(sb, d)) {
            found = dir.empty() ? "/" : dir;
            return WalkResult::found;
        }
    }
    return WalkResult::absent;
}

// The directory (as the container sees it) a socket bound to a relative name
// was bound in: the cwd of a container process from which the name leads to
// the socket's file, or else the directory a walk of the container finds it
// in. Nothing: the file is gone (the socket restores bound to a deleted path).
std::optional<std::string> relative_bind_dir(const std::string& root, const UnixDiag& d, const std::vector<pid_t>& pids,
                                             const std::string& who, struct stat& sb) {
    for (pid_t p : pids) {
        UniqueFd cwd(::open(fmt::format("/proc/{}/cwd", p).c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
        if (!cwd || ::fstatat(cwd.get(), d.name.c_str(), &sb, AT_SYMLINK_NOFOLLOW) < 0 || !is_socket_file_of(sb, d)) continue;
        char buf[PATH_MAX];
        ssize_t n = ::readlink(fmt::format("/proc/{}/cwd", p).c_str(), buf, sizeof buf - 1);
        if (n <= 0) continue;
        std::string dir(buf, static_cast<size_t>(n));
        if (dir.starts_with('/') && !files::non_canonical_reason(dir)) return dir;
    }
    std::string dir;
    switch (walk_for_socket_file(root, d, dir)) {
    case WalkResult::found: {
        std::string path = root + (dir == "/" ? "" : dir) + "/" + d.name;
        if (::lstat(path.c_str(), &sb) < 0) return std::nullopt;
        return dir;
    }
    case WalkResult::absent: return std::nullopt;
    case WalkResult::too_big: break;
    }
    fail("{}: bound to the relative path {} from a directory no container process is in, and the container has more than {} "
         "directories to look for its file in",
         who, printable_name(d.name), max_walked_dirs);
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

    // Queues first, following the fds in flight: a unix socket in flight that no
    // task holds joins the table (myrt's copy holds it), and its queue is read too.
    std::map<uint64_t, std::vector<UnixMessage>> queues;
    std::vector<uint64_t> work;
    for (auto& [ino, at] : st.holders) work.push_back(ino);
    while (!work.empty()) {
        uint64_t ino = work.back();
        work.pop_back();
        const UnixDiag& d = st.diag[ino];
        auto [pid, fd] = st.holders[ino];
        bool connection = d.type == SOCK_STREAM || d.type == SOCK_SEQPACKET;
        // A stream or seqpacket socket never connected has no queue (a peek gets ENOTCONN).
        if (d.state == TCP_LISTEN || (connection && d.state == TCP_CLOSE)) continue;
        if (d.type != SOCK_STREAM && d.type != SOCK_DGRAM && d.type != SOCK_SEQPACKET) continue;  // refused below
        std::string who = fmt::format("unix socket:[{}] {} (fd {} of pid {})", ino, printable_name(d.name), fd, pid);
        if (st.in_flight_only.count(ino)) who = fmt::format("unix socket:[{}] {} (in flight)", ino, printable_name(d.name));
        UniqueFd sock = grab_fd(pid, fd);
        int peek_off = get_int(sock.get(), SO_PEEK_OFF, who, "SO_PEEK_OFF");
        auto q = peek_queue(sock.get(), d.type, peek_off, who, st.in_flight, inside);
        for (UnixMessage& m : q)
            for (UnixFdInFlight& f : m.fds) {
                std::string where = fmt::format("an fd in flight in the receive queue of {}", who);
                struct stat sb {};
                if (::fstat(f.local_fd, &sb) < 0) throw_errno("stat of {}", where);
                if (!S_ISSOCK(sb.st_mode)) {
                    f.kind = img::unix_scm_fd_file;
                    files::check_in_flight(f.local_fd, where, ctx);
                    continue;
                }
                int family = get_int(f.local_fd, SO_DOMAIN, where, "SO_DOMAIN");
                if (family != AF_UNIX)
                    fail("{}: a socket of family {} (socket:[{}]) in flight: only unix sockets can be checkpointed in flight",
                         where, family, sb.st_ino);
                if (!st.diag.count(sb.st_ino))
                    fail("{}: unix socket:[{}] of another network namespace in flight: not supported", where, sb.st_ino);
                f.kind = img::unix_scm_fd_socket;
                f.ref = sb.st_ino;
                if (!st.holders.count(sb.st_ino)) {
                    if (auto out = outside_holders({sb.st_ino}, inside); !out.empty())
                        fail("{}: unix socket:[{}] in flight is also held outside the container ({})", where, sb.st_ino,
                             out.begin()->second);
                    st.holders[sb.st_ino] = {::getpid(), f.local_fd};
                    st.in_flight_only.insert(sb.st_ino);
                    work.push_back(sb.st_ino);
                }
            }
        queues[ino] = std::move(q);
    }
    for (uint64_t ino : st.in_flight_only)
        if (!st.diag[ino].icons.empty() || st.diag[ino].state == TCP_LISTEN)
            fail("unix listener socket:[{}] {} in flight: a listener held by no task cannot be rebuilt in flight, not supported",
                 ino, printable_name(st.diag[ino].name));
    // Descriptions in flight held by no task, as a socket's description flags.
    std::map<uint64_t, uint32_t> in_flight_flags;
    for (auto& [ino, q] : queues)
        for (UnixMessage& m : q)
            for (UnixFdInFlight& f : m.fds)
                if (f.kind == img::unix_scm_fd_socket && st.in_flight_only.count(f.ref)) {
                    int fl = check(::fcntl(f.local_fd, F_GETFL), "F_GETFL of unix socket:[{}] in flight", f.ref);
                    f.flags = static_cast<uint32_t>(fl) & static_cast<uint32_t>(O_NONBLOCK | O_ASYNC);
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
        if (st.in_flight_only.count(ino)) {
            s.flags |= img::unix_flag_in_flight;
            who = fmt::format("unix socket:[{}] {} (in flight)", ino, printable_name(d.name));
        }
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
                struct stat sb {};
                bool present = false;
                if (d.name[0] == '/') {
                    std::string on_disk = ctx.root + d.name;
                    present = ::lstat(on_disk.c_str(), &sb) == 0 && S_ISSOCK(sb.st_mode) && d.has_vfs && sb.st_ino == d.vfs_ino;
                } else if (s.has(img::unix_flag_bound) && d.has_vfs) {
                    // Relative to the binder's cwd at bind time, which is nowhere on record: a
                    // container process's cwd now where the name leads to this very socket file.
                    if (auto dir = relative_bind_dir(ctx.root, d, pids, who, sb)) {
                        present = true;
                        s.flags |= img::unix_flag_bind_dir;
                        s.bind_dir = *dir;
                    }
                }
                if (present) {
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
        if (auto q = queues.find(ino); q != queues.end()) s.queue = std::move(q->second);
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

std::vector<int> unix_descriptions_in_flight(files::DumpContext& ctx) {
    std::vector<int> out;
    if (ctx.init_pid <= 0) return out;
    bool sockets = false;
    for (pid_t p : container_pids(ctx.init_pid)) sockets = sockets || !socket_fds_of(p).empty();
    if (!sockets) return out;
    auto& st = unix_dump_state(ctx);
    build_unix_table(ctx, st);
    for (const UnixSocket& s : st.table)
        for (const UnixMessage& m : s.queue)
            for (const UnixFdInFlight& f : m.fds)
                if (f.kind == img::unix_scm_fd_file) out.push_back(f.local_fd);
    return out;
}

void dump_unix_in_flight(files::DumpContext& ctx, UnixDumpState& st, img::RecordWriter& w) {
    for (UnixSocket& s : st.table)
        for (UnixMessage& m : s.queue)
            for (UnixFdInFlight& f : m.fds)
                if (f.kind == img::unix_scm_fd_file) f.ref = files::dump_in_flight(f.local_fd, ctx, w);
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
