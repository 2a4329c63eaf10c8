#include "cr/net/unix_restore.hpp"

#include "cr/net/in_container_ns.hpp"
#include "cr/net/unix_name_scope.hpp"
#include "util/error.hpp"
#include "util/scm.hpp"

#include <fcntl.h>
#include <linux/capability.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <set>

namespace myrt::cr::net {

namespace img = myrt::cr::image;

namespace {

// While queues are refilled, buffers are made large enough for any queue the
// table allows; the dumped sizes are set again afterwards.
constexpr int fill_buffer = 64 << 20;

struct Address {
    sockaddr_un sun{};
    socklen_t len = 0;
};

Address address_of(const std::string& name) {
    Address a;
    a.sun.sun_family = AF_UNIX;
    std::memcpy(a.sun.sun_path, name.data(), name.size());
    // A path is passed with its NUL, an abstract name exactly as long as it is.
    a.len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size() + (name[0] == '\0' ? 0 : 1));
    if (a.len > sizeof(sockaddr_un)) a.len = sizeof(sockaddr_un);
    return a;
}

// Whether a socket file is dead: nothing accepts or takes datagrams at it.
// A live socket (a host daemon's in a bind-mounted directory) answers a
// connect, or refuses the type; only a dead one gives ECONNREFUSED.
// Returns what a connect there says: ECONNREFUSED for a dead one, 0 (or
// EAGAIN, EPROTOTYPE...) for a live one.
int probe_socket_file(const std::string& path, uint32_t type) {
    UniqueFd probe(::socket(AF_UNIX, static_cast<int>(type) | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!probe) throw_errno("a socket to probe {}", path);
    Address a = address_of(path);
    return ::connect(probe.get(), reinterpret_cast<sockaddr*>(&a.sun), a.len) < 0 ? errno : 0;
}

class Builder {
public:
    Builder(const UnixTable& t, const files::TaskCredentials* creds, const std::map<uint64_t, int>& files, const ScratchRoots& scratch)
        : t_(t), creds_(creds), files_(files), scratch_(scratch) {
        for (const auto& s : t_) {
            by_id_[s.id] = &s;
            slot_[s.id] = ++last_slot_;
        }
    }

    std::map<uint64_t, UniqueFd> run() {
        create_sockets();
        listen_all();
        accept_connections();
        pending_connections();
        fill_queues();  // before datagram connects: a connected socket takes only its peer's datagrams
        connect_datagrams();
        helpers_.clear();  // a closed or external peer hangs up now: EOF after the data
        shutdowns();
        options();
        unlink_scratch_files();
        for (const auto& s : t_)
            if (s.has(img::unix_flag_in_flight)) fds_.erase(s.id);  // in flight now: the restorer's copy goes
        return std::move(fds_);
    }

private:
    const UnixSocket& sock(uint64_t id) const { return *by_id_.at(id); }

    // Where the name of `s` (bound by this restore) resolves: see unix_name_scope.hpp.
    NameScope scope_of(const UnixSocket& s) const {
        NameScope scope;
        if (s.name.empty() || s.abstract() || !s.has(img::unix_flag_bound)) return scope;
        if (!s.has(img::unix_flag_path_present)) {
            scope.kind = NameScope::Kind::scratch;
            scope.slot = slot_.at(s.id);
        } else if (s.has(img::unix_flag_bind_dir)) {
            scope.kind = NameScope::Kind::directory;
            scope.directory = s.bind_dir;
        }
        return scope;
    }

    NameScope fresh_scratch() {
        NameScope scope;
        scope.kind = NameScope::Kind::scratch;
        scope.slot = ++last_slot_;
        return scope;
    }

    UniqueFd new_socket(const UnixSocket& s) {
        UniqueFd fd(::socket(AF_UNIX, static_cast<int>(s.type) | SOCK_CLOEXEC, 0));
        if (!fd) throw_errno("creating {}", describe(s));
        return fd;
    }

    // A path still bound at checkpoint: a stale socket file at it (the old
    // container's) goes first, or bind fails with EADDRINUSE. A path deleted
    // since is bound in a private root of its own and removed at the end.
    void bind_name(int fd, const UnixSocket& s, const std::string& name, const NameScope& scope) {
        in_name_scope(scope, scratch_, name, [&] { bind_in_scope(fd, s, name, scope); });
    }

    void bind_in_scope(int fd, const UnixSocket& s, const std::string& name, const NameScope& scope) {
        const bool present = scope.kind != NameScope::Kind::scratch;
        if (name[0] != '\0' && present) {
            struct stat st {};
            if (::lstat(name.c_str(), &st) == 0) {
                // Only the old container's own dead socket goes: never a live
                // one (a host daemon's), nor one of another owner.
                if (!S_ISSOCK(st.st_mode))
                    fail("restoring {}: {} exists in the container and is not a socket file", describe(s), name);
                // The old container's file has the task's uid, or the owner the image restores.
                bool image_owner = s.has(img::unix_flag_file_attrs) && st.st_uid == s.file_uid;
                if (creds_ && st.st_uid != creds_->uid[3] && !image_owner)
                    fail("restoring {}: {} exists and is a socket file of uid {}, not the task's ({}): it is not removed",
                         describe(s), name, st.st_uid, creds_->uid[3]);
                if (int e = probe_socket_file(name, s.type); e != ECONNREFUSED)
                    fail("restoring {}: {} exists and is not a dead socket file (a connect to it {}): it is not the old "
                         "container's stale socket and is not removed",
                         describe(s), name, e == 0 ? "succeeds" : fmt::format("fails with {}", std::strerror(e)));
                check(::unlink(name.c_str()), "removing the stale socket file {} before binding {}", name, describe(s));
            }
        }
        Address a = address_of(name);
        check(::bind(fd, reinterpret_cast<sockaddr*>(&a.sun), a.len), "binding {} to {}{}", describe(s), printable_name(name),
              creds_ ? fmt::format(" with the credentials of its task ({})", creds_->describe()) : "");
        if (name[0] != '\0' && !present) scratch_files_.emplace_back(scope, name);
        if (name[0] != '\0' && present && s.has(img::unix_flag_file_attrs) && name == s.name) restore_file_attrs(s);
    }

    // The socket file bind just made gets the mode (as its owner, the task) and
    // the owner (CAP_CHOWN, which this thread holds for this alone) it had.
    // The path is checked to still be this socket's file first.
    void restore_file_attrs(const UnixSocket& s) {
        struct stat st {};
        check(::lstat(s.name.c_str(), &st), "stat of {} after binding it", s.name);
        if (!S_ISSOCK(st.st_mode)) fail("restoring {}: {} is no longer a socket file after bind", describe(s), s.name);
        check(::fchmodat(AT_FDCWD, s.name.c_str(), s.file_mode, 0), "restoring the mode {:o} of the socket file {}", s.file_mode,
              s.name);
        if (st.st_uid != s.file_uid || st.st_gid != s.file_gid)
            check(::fchownat(AT_FDCWD, s.name.c_str(), s.file_uid, s.file_gid, AT_SYMLINK_NOFOLLOW),
                  "restoring the owner {}:{} of the socket file {}", s.file_uid, s.file_gid, s.name);
    }

    void connect_name(int fd, const std::string& name, const NameScope& scope, const std::string& what) {
        int fl = check(::fcntl(fd, F_GETFL), "F_GETFL");
        check(::fcntl(fd, F_SETFL, fl | O_NONBLOCK), "F_SETFL");
        Address a = address_of(name);
        int rc = 0;
        in_name_scope(scope, scratch_, name, [&] { rc = ::connect(fd, reinterpret_cast<sockaddr*>(&a.sun), a.len); });
        if (rc < 0)
            throw_errno("connecting {} to {}{}", what, printable_name(name),
                        errno == EAGAIN ? " (the listener's backlog is full)"
                        : errno == EACCES && creds_ ? fmt::format(" with the credentials of its task ({})", creds_->describe())
                                                    : "");
        check(::fcntl(fd, F_SETFL, fl), "F_SETFL");
    }

    const UnixSocket* listener_named(const UnixSocket& s) const {
        for (const auto& l : t_)
            if (l.state == TCP_LISTEN && l.type == s.type && l.name == s.name) return &l;
        return nullptr;
    }

    // Phase 1: every socket a task holds, except the accepted ends (accept makes them).
    void create_sockets() {
        for (const auto& s : t_) {
            if (s.has(img::unix_flag_embryo) || s.has(img::unix_flag_accepted) || fds_.count(s.id)) continue;
            const bool orphan = s.has(img::unix_flag_orphan) || (s.has(img::unix_flag_external_peer) && s.connection_oriented());
            if (orphan && !s.has(img::unix_flag_bound)) {
                // The far end stands in for the closed or outside peer while the queue is filled.
                int sv[2];
                check(::socketpair(AF_UNIX, static_cast<int>(s.type) | SOCK_CLOEXEC, 0, sv), "socketpair for {}", describe(s));
                fds_[s.id] = UniqueFd(sv[0]);
                helpers_[s.id] = UniqueFd(sv[1]);
                continue;
            }
            if (s.peer_id && !s.has(img::unix_flag_bound)) {
                const UnixSocket& p = sock(s.peer_id);
                bool mutual = p.peer_id == s.id && p.id != s.id;
                if (mutual && !p.has(img::unix_flag_bound) && !p.has(img::unix_flag_accepted) && !p.has(img::unix_flag_embryo)) {
                    int sv[2];
                    check(::socketpair(AF_UNIX, static_cast<int>(s.type) | SOCK_CLOEXEC, 0, sv), "socketpair for {}", describe(s));
                    fds_[s.id] = UniqueFd(sv[0]);
                    fds_[p.id] = UniqueFd(sv[1]);
                    continue;
                }
            }
            UniqueFd fd = new_socket(s);
            if (s.has(img::unix_flag_bound)) bind_name(fd.get(), s, s.name, scope_of(s));
            if (orphan) {
                // A bound end whose peer is gone: connected to a throwaway listener.
                UniqueFd tl = new_socket(s);
                Address any{};
                any.sun.sun_family = AF_UNIX;
                check(::bind(tl.get(), reinterpret_cast<sockaddr*>(&any.sun), sizeof(sa_family_t)), "autobind of a stand-in peer");
                check(::listen(tl.get(), 1), "listen");
                Address tla{};
                tla.len = sizeof tla.sun;
                check(::getsockname(tl.get(), reinterpret_cast<sockaddr*>(&tla.sun), &tla.len), "getsockname");
                check(::connect(fd.get(), reinterpret_cast<sockaddr*>(&tla.sun), tla.len), "connecting {} to a stand-in peer", describe(s));
                helpers_[s.id] = UniqueFd(check(::accept4(tl.get(), nullptr, nullptr, SOCK_CLOEXEC), "accept of a stand-in peer"));
            }
            fds_[s.id] = std::move(fd);
        }
    }

    void listen_all() {
        for (const auto& s : t_)
            if (s.state == TCP_LISTEN)
                check(::listen(fds_.at(s.id).get(), static_cast<int>(s.backlog)), "listen on {} (backlog {})", describe(s), s.backlog);
    }

    // Phase 3: listener, connecting side, accepting side: connect then accept
    // at once, so accept returns this very connection.
    void accept_connections() {
        for (const auto& a : t_) {
            if (!a.has(img::unix_flag_accepted)) continue;
            UniqueFd temp_listener;
            int lfd;
            NameScope scope;
            if (const UnixSocket* l = listener_named(a)) {
                lfd = fds_.at(l->id).get();
                scope = scope_of(*l);
            } else {
                // The listener is closed: a temporary one with its name, in a private root.
                temp_listener = new_socket(a);
                scope = fresh_scratch();
                bind_name(temp_listener.get(), a, a.name, scope);
                check(::listen(temp_listener.get(), 1), "listen on a temporary listener for {}", describe(a));
                lfd = temp_listener.get();
            }
            if (a.peer_id) {
                connect_name(fds_.at(a.peer_id).get(), a.name, scope, describe(sock(a.peer_id)));
            } else {
                UniqueFd h = new_socket(a);
                connect_name(h.get(), a.name, scope, fmt::format("a stand-in peer of {}", describe(a)));
                helpers_[a.id] = std::move(h);
            }
            fds_[a.id] = UniqueFd(check(::accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC), "accept of {}", describe(a)));
        }
    }

    // Phase 4: connections not yet accepted, in the listener's queue order.
    void pending_connections() {
        for (const auto& e : t_)
            if (e.has(img::unix_flag_embryo))
                connect_name(fds_.at(e.peer_id).get(), sock(e.listener_id).name, scope_of(sock(e.listener_id)), describe(sock(e.peer_id)));
    }

    void connect_datagrams() {
        for (const auto& s : t_) {
            if (s.type != SOCK_DGRAM) continue;
            if (s.peer_id) {
                const UnixSocket& p = sock(s.peer_id);
                if (p.name.empty()) continue;  // a socketpair, connected at birth
                if (!p.has(img::unix_flag_bound))
                    fail("restoring {}: its peer {} has a name but was not bound by this restore", describe(s), describe(p));
                connect_name(fds_.at(s.id).get(), p.name, scope_of(p), describe(s));
            } else if (s.has(img::unix_flag_external_peer) && !s.peer_name.empty()) {
                // Outside peers are reconnected by name when the name is there again; else left unconnected.
                // The connect runs with the task's credentials: a socket it may not reach is refused, not skipped.
                Address a = address_of(s.peer_name);
                if (::connect(fds_.at(s.id).get(), reinterpret_cast<sockaddr*>(&a.sun), a.len) < 0 &&
                    (errno == EACCES || errno == EPERM))
                    throw_errno("restoring {}: its task may not connect to its outside peer {}", describe(s),
                                printable_name(s.peer_name));
            }
        }
    }

    // The message's fds in flight go with its first byte (SCM_RIGHTS), with
    // its sender's uid and gid when it had credentials: the kernel checks them
    // against this thread's (the task's) own, and the pid is the restorer's,
    // which the container sees as 0.
    void send_all(int fd, const UnixMessage& m, const Address* to, const UnixSocket& x) {
        std::vector<int> fds;
        for (const UnixFdInFlight& f : m.fds) {
            if (f.kind == img::unix_scm_fd_socket) {
                auto it = fds_.find(f.ref);
                if (it == fds_.end()) fail("restoring {}: unix socket {} in flight was not made", describe(x), f.ref);
                fds.push_back(it->second.get());
            } else {
                auto it = files_.find(f.ref);
                if (it == files_.end()) fail("restoring {}: file objref {} in flight is not in the image", describe(x), f.ref);
                fds.push_back(it->second);
            }
        }
        ucred cred{::getpid(), m.cred_uid, m.cred_gid};
        ScmControl control(fds, m.has_creds ? &cred : nullptr);
        size_t off = 0;
        bool first = true;
        do {
            iovec iov{const_cast<std::byte*>(m.data.data()) + off, m.data.size() - off};
            msghdr msg{};
            if (to) {
                msg.msg_name = const_cast<sockaddr_un*>(&to->sun);
                msg.msg_namelen = to->len;
            }
            msg.msg_iov = &iov;
            msg.msg_iovlen = 1;
            if (first) control.attach(msg);
            ssize_t n = ::sendmsg(fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0 && first && m.has_scm())
                throw_errno("putting {} bytes in flight back into {} with {} fds{}", m.data.size(), describe(x), fds.size(),
                            m.has_creds ? fmt::format(" and the credentials uid {} gid {}", m.cred_uid, m.cred_gid) : "");
            if (n < 0) throw_errno("putting {} bytes in flight back into {}", m.data.size(), describe(x));
            first = false;
            off += static_cast<size_t>(n);
        } while (off < m.data.size() && x.type == SOCK_STREAM);
    }

    void grow_buffers(int fd) {
        ::setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &fill_buffer, sizeof fill_buffer);
        ::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &fill_buffer, sizeof fill_buffer);
    }

    // Phase 6: each queue is written by the socket that sent it.
    void fill_queues() {
        for (auto& [id, fd] : fds_) grow_buffers(fd.get());
        for (auto& [id, fd] : helpers_) grow_buffers(fd.get());
        for (const auto& x : t_) {
            if (x.queue.empty()) continue;
            // The kernel records a sender's credentials only while the receiver
            // passes them: a bound receiver (no autobind to fear) gets
            // SO_PASSCRED now, so its messages carry the task's uid and gid
            // (this thread's) and pid 0, a sender outside the container.
            if (x.has(img::unix_flag_passcred) && x.has(img::unix_flag_bound) && fds_.count(x.id)) {
                int on = 1;
                check(::setsockopt(fds_.at(x.id).get(), SOL_SOCKET, SO_PASSCRED, &on, sizeof on), "SO_PASSCRED on {}", describe(x));
            }
            if (x.connection_oriented()) {
                int from = -1;
                if (x.peer_id && fds_.count(x.peer_id)) from = fds_.at(x.peer_id).get();
                else if (helpers_.count(x.id)) from = helpers_.at(x.id).get();
                else fail("restoring {}: no socket to send its {} messages in flight from", describe(x), x.queue.size());
                for (const auto& m : x.queue) send_all(from, m, nullptr, x);
                continue;
            }
            for (const auto& m : x.queue) send_datagram(x, m);
        }
    }

    void send_datagram(const UnixSocket& x, const UnixMessage& m) {
        const bool x_named = !x.name.empty();
        // A name is sent to only when this restore bound it: the message
        // must land in the container's socket, not in whatever has that path.
        if (x_named && !x.has(img::unix_flag_bound))
            fail("restoring {}: datagrams in flight to a name it was not bound to", describe(x));
        Address xa = x_named ? address_of(x.name) : Address{};
        const NameScope to_scope = scope_of(x);
        auto send_to_x = [&](int from_fd) { in_name_scope(to_scope, scratch_, x.name, [&] { send_all(from_fd, m, &xa, x); }); };
        if (m.sender_id) {
            const UnixSocket& from = sock(m.sender_id);
            if (x_named) send_to_x(fds_.at(from.id).get());
            else if (from.peer_id == x.id && x.peer_id == from.id) send_all(fds_.at(from.id).get(), m, nullptr, x);
            else fail("restoring {}: a datagram from {} to an unnamed socket it is not connected to", describe(x), describe(from));
            return;
        }
        if (!x_named) {
            // Unnamed: only its socketpair peer, or a stand-in for a closed one, can reach it.
            if (helpers_.count(x.id)) send_all(helpers_.at(x.id).get(), m, nullptr, x);
            else if (x.peer_id && sock(x.peer_id).peer_id == x.id) send_all(fds_.at(x.peer_id).get(), m, nullptr, x);
            else fail("restoring {}: a datagram in flight to an unnamed socket from a sender that is gone", describe(x));
            return;
        }
        // A sender that is gone: a throwaway socket, bound to its name when it had one
        // (a path in a private root, whatever is at that path now), so recvfrom()
        // reports the same address.
        UniqueFd tmp = new_socket(x);
        if (!m.sender_name.empty()) {
            UnixSocket stand_in;
            stand_in.id = 0;
            stand_in.name = m.sender_name;
            bind_name(tmp.get(), stand_in, m.sender_name, m.sender_name[0] == '\0' ? NameScope{} : fresh_scratch());
        }
        grow_buffers(tmp.get());
        send_to_x(tmp.get());
    }

    void shutdowns() {
        for (const auto& s : t_) {
            if (s.shutdown == 0 || !fds_.count(s.id)) continue;
            int how = s.shutdown == 3 ? SHUT_RDWR : s.shutdown == 1 ? SHUT_RD : SHUT_WR;
            if (::shutdown(fds_.at(s.id).get(), how) < 0 && errno != ENOTCONN) throw_errno("shutdown({}) of {}", how, describe(s));
        }
    }

    void options() {
        for (const auto& s : t_) {
            if (!fds_.count(s.id)) continue;
            int fd = fds_.at(s.id).get();
            // The kernel doubles what it is given; the dump read the doubled value.
            int snd = static_cast<int>(s.sndbuf / 2), rcv = static_cast<int>(s.rcvbuf / 2);
            check(::setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &snd, sizeof snd), "SO_SNDBUF on {}", describe(s));
            check(::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof rcv), "SO_RCVBUF on {}", describe(s));
            timeval rt{static_cast<time_t>(s.rcvtimeo_us / 1000000), static_cast<suseconds_t>(s.rcvtimeo_us % 1000000)};
            timeval st{static_cast<time_t>(s.sndtimeo_us / 1000000), static_cast<suseconds_t>(s.sndtimeo_us % 1000000)};
            check(::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO_OLD, &rt, sizeof rt), "SO_RCVTIMEO on {}", describe(s));
            check(::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO_OLD, &st, sizeof st), "SO_SNDTIMEO on {}", describe(s));
            int peek = s.peek_off;
            check(::setsockopt(fd, SOL_SOCKET, SO_PEEK_OFF, &peek, sizeof peek), "SO_PEEK_OFF on {}", describe(s));
            // Last: SO_PASSCRED autobinds an unnamed socket that connects or sends.
            int on = s.has(img::unix_flag_passcred) ? 1 : 0;
            check(::setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof on), "SO_PASSCRED on {}", describe(s));
        }
        // A socket held by no task has no description record: its flags came with the fd in flight.
        for (const auto& x : t_)
            for (const auto& m : x.queue)
                for (const auto& f : m.fds)
                    if (f.kind == img::unix_scm_fd_socket && sock(f.ref).has(img::unix_flag_in_flight) && f.flags) {
                        int fd = fds_.at(f.ref).get();
                        int fl = check(::fcntl(fd, F_GETFL), "F_GETFL");
                        check(::fcntl(fd, F_SETFL, fl | static_cast<int>(f.flags)), "F_SETFL on {}", describe(sock(f.ref)));
                    }
    }

    // Paths that were deleted while bound: their files in the private roots go,
    // so the sockets are bound to deleted paths again.
    void unlink_scratch_files() {
        for (const auto& entry : scratch_files_) {
            const auto& name = entry.second;  // a named reference: clang 14 lambdas cannot capture a structured binding
            in_name_scope(entry.first, scratch_, name, [&] {
                if (::unlink(name.c_str()) < 0 && errno != ENOENT) throw_errno("removing {} from a private root", name);
            });
        }
    }

    const UnixTable& t_;
    const files::TaskCredentials* creds_;
    const std::map<uint64_t, int>& files_;
    std::map<uint64_t, const UnixSocket*> by_id_;
    std::map<uint64_t, UniqueFd> fds_;
    std::map<uint64_t, UniqueFd> helpers_;
    const ScratchRoots& scratch_;
    std::map<uint64_t, uint64_t> slot_;  // socket id -> its private root, should its path be gone
    uint64_t last_slot_ = 0;
    std::vector<std::pair<NameScope, std::string>> scratch_files_;
};

}  // namespace

std::map<uint64_t, UniqueFd> recreate_unix_sockets(const UnixTable& table, pid_t init_pid,
                                                   const files::TaskCredentials* creds,
                                                   const std::map<uint64_t, int>& files_in_flight) {
    if (init_pid <= 0) fail("restoring unix sockets: the container's init is not known");
    std::map<uint64_t, UniqueFd> out;
    ScratchRoots scratch;
    // CAP_SYS_CHROOT enters and leaves the private roots of deleted paths (this thread's own fs context).
    // CAP_NET_ADMIN stays for SO_SNDBUFFORCE/SO_RCVBUFFORCE (queues are refilled
    // with raised buffers, then the dumped sizes are set): it lifts no file
    // permission, and messages carry the task's uid and gid, not root's.
    run_in_container_ns(init_pid, true, [&] { out = Builder(table, creds, files_in_flight, scratch).run(); }, creds,
                        (uint64_t{1} << CAP_NET_ADMIN) | (uint64_t{1} << CAP_CHOWN) | (uint64_t{1} << CAP_SYS_CHROOT));
    return out;
}

}  // namespace myrt::cr::net
