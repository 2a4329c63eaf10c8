#include "cr/net/unix_table.hpp"

#include "cr/files/path_in_root.hpp"
#include "util/error.hpp"

#include <fcntl.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <set>

namespace myrt::cr::net {

namespace img = myrt::cr::image;

namespace {

// A table bigger than this is not a container's; the image is hostile.
constexpr uint32_t max_table = 1u << 16;
constexpr uint32_t max_messages = 1u << 16;
constexpr uint64_t max_queue_bytes = 64ull << 20;

void copy_name(const std::string& from, char* to, uint32_t& len) {
    if (from.size() > img::unix_name_max) fail("unix socket name {} is longer than sun_path", printable_name(from));
    std::memcpy(to, from.data(), from.size());
    len = static_cast<uint32_t>(from.size());
}

// Relative paths are names a socket was bound with from some cwd: allowed
// where the restore knows where to resolve them (`relative_ok`).
std::string checked_name(const img::RecordReader& r, const char* data, uint32_t len, uint64_t id, const char* what,
                         bool relative_ok = false) {
    if (len > img::unix_name_max) r.fail_at("UNIX_SOCKET {}: {} of {} bytes", id, what, len);
    std::string name(data, len);
    if (name.empty()) return name;
    if (name[0] == '\0') return name;  // abstract: any bytes
    if (name[0] != '/' && !relative_ok) r.fail_at("UNIX_SOCKET {}: {} {} is not an absolute path", id, what, printable_name(name));
    if (name.find('\0') != std::string::npos) r.fail_at("UNIX_SOCKET {}: {} holds a NUL byte", id, what);
    return name;
}

}  // namespace

bool UnixSocket::connection_oriented() const { return type == SOCK_STREAM || type == SOCK_SEQPACKET; }

std::string printable_name(const std::string& name) {
    if (name.empty()) return "(unnamed)";
    if (name[0] != '\0') return name;
    std::string out = "@";
    for (size_t i = 1; i < name.size(); ++i) {
        unsigned char c = static_cast<unsigned char>(name[i]);
        out += (c >= 32 && c < 127) ? std::string(1, static_cast<char>(c)) : fmt::format("\\x{:02x}", c);
    }
    return out;
}

std::string describe(const UnixSocket& s) { return fmt::format("unix socket:[{}] {}", s.id, printable_name(s.name)); }

void write_table(const UnixTable& table, uint64_t objref, img::RecordWriter& w) {
    for (const UnixSocket& s : table) {
        img::UnixSocketRecord rec{};
        rec.id = s.id;
        rec.peer_id = s.peer_id;
        rec.listener_id = s.listener_id;
        rec.type = s.type;
        rec.state = s.state;
        rec.flags = s.flags;
        rec.shutdown = s.shutdown;
        rec.backlog = s.backlog;
        rec.nr_messages = static_cast<uint32_t>(s.queue.size());
        rec.sndbuf = s.sndbuf;
        rec.rcvbuf = s.rcvbuf;
        rec.peek_off = s.peek_off;
        rec.rcvtimeo_us = s.rcvtimeo_us;
        rec.sndtimeo_us = s.sndtimeo_us;
        copy_name(s.name, rec.name, rec.name_len);
        copy_name(s.peer_name, rec.peer_name, rec.peer_name_len);
        w.write<img::RecordType::unix_socket>(rec, objref);
        if (s.has(img::unix_flag_file_attrs))
            w.write<img::RecordType::unix_socket_file>(img::UnixSocketFileRecord{s.file_mode, s.file_uid, s.file_gid, 0}, objref);
        if (s.has(img::unix_flag_bind_dir)) w.write_string(s.bind_dir, objref);
        for (const UnixMessage& m : s.queue) {
            img::UnixMessageRecord mr{};
            mr.len = m.data.size();
            mr.sender_id = m.sender_id;
            copy_name(m.sender_name, mr.sender_name, mr.sender_name_len);
            if (m.has_scm()) mr.flags |= img::unix_msg_flag_scm;
            w.write<img::RecordType::unix_message>(mr, objref);
            w.write_buffer(m.data, objref);
            if (!m.has_scm()) continue;
            img::UnixScmRecord sr{};
            sr.nr_fds = static_cast<uint32_t>(m.fds.size());
            if (m.has_creds) {
                sr.flags = img::unix_scm_flag_creds;
                sr.pid = m.cred_pid;
                sr.uid = m.cred_uid;
                sr.gid = m.cred_gid;
            }
            w.write<img::RecordType::unix_scm>(sr, objref);
            for (const UnixFdInFlight& f : m.fds) {
                if (f.ref == 0) fail("{}: an fd in flight without a reference (internal error)", describe(s));
                w.write<img::RecordType::unix_scm_fd>(img::UnixScmFdRecord{f.ref, f.kind, f.flags}, objref);
            }
        }
    }
}

UnixTable read_table(img::RecordReader& r, uint64_t objref, uint32_t count, const img::RecordHeader* first) {
    if (count > max_table) r.fail_at("UNIX_FILE objref {}: a table of {} sockets", objref, count);
    UnixTable table;
    std::set<uint64_t> ids;
    for (uint32_t i = 0; i < count; ++i) {
        img::RecordHeader h{};
        img::UnixSocketRecord rec{};
        if (i == 0 && first) {
            if (first->type != static_cast<uint32_t>(img::RecordType::unix_socket))
                r.fail_at("UNIX_FILE objref {}: a {} record where the table's first UNIX_SOCKET belongs", objref,
                          img::record_type_name(first->type));
            h = *first;
            rec = r.read_fixed<img::RecordType::unix_socket>();
        } else {
            rec = r.expect<img::RecordType::unix_socket>(&h);
        }
        if (h.objref != objref) r.fail_at("UNIX_SOCKET with objref {} in the table of objref {}", h.objref, objref);
        UnixSocket s;
        s.id = rec.id;
        if (s.id == 0 || !ids.insert(s.id).second) r.fail_at("UNIX_SOCKET: id {} is zero or listed twice", s.id);
        if (rec.reserved != 0) r.fail_at("UNIX_SOCKET {}: reserved field is not zero", s.id);
        if (rec.type != SOCK_STREAM && rec.type != SOCK_DGRAM && rec.type != SOCK_SEQPACKET)
            r.fail_at("UNIX_SOCKET {}: socket type {} is not stream, datagram or seqpacket", s.id, rec.type);
        if (rec.state != TCP_ESTABLISHED && rec.state != TCP_CLOSE && rec.state != TCP_LISTEN)
            r.fail_at("UNIX_SOCKET {}: state {} is not established, close or listen", s.id, rec.state);
        if (rec.flags & ~img::known_unix_flags) r.fail_at("UNIX_SOCKET {}: unknown flags {:#x}", s.id, rec.flags & ~img::known_unix_flags);
        if (rec.shutdown > 3) r.fail_at("UNIX_SOCKET {}: shutdown state {}", s.id, rec.shutdown);
        if (rec.backlog > 1u << 20) r.fail_at("UNIX_SOCKET {}: backlog {}", s.id, rec.backlog);
        if (rec.nr_messages > max_messages) r.fail_at("UNIX_SOCKET {}: {} messages", s.id, rec.nr_messages);
        if (rec.sndbuf > 1u << 30 || rec.rcvbuf > 1u << 30) r.fail_at("UNIX_SOCKET {}: buffer sizes {} {}", s.id, rec.sndbuf, rec.rcvbuf);
        if (rec.peek_off < -1) r.fail_at("UNIX_SOCKET {}: SO_PEEK_OFF {}", s.id, rec.peek_off);
        if (rec.rcvtimeo_us < 0 || rec.sndtimeo_us < 0) r.fail_at("UNIX_SOCKET {}: negative timeouts", s.id);
        s.peer_id = rec.peer_id;
        s.listener_id = rec.listener_id;
        s.type = rec.type;
        s.state = rec.state;
        s.flags = rec.flags;
        s.shutdown = rec.shutdown;
        s.backlog = rec.backlog;
        s.sndbuf = rec.sndbuf;
        s.rcvbuf = rec.rcvbuf;
        s.peek_off = rec.peek_off;
        s.rcvtimeo_us = rec.rcvtimeo_us;
        s.sndtimeo_us = rec.sndtimeo_us;
        // A relative name is bound again in its recorded directory, or, deleted, in a private root.
        const bool relative_ok = (rec.flags & img::unix_flag_bind_dir) || !(rec.flags & img::unix_flag_path_present) ||
                                 !(rec.flags & img::unix_flag_bound);
        s.name = checked_name(r, rec.name, rec.name_len, s.id, "name", relative_ok);
        s.peer_name = checked_name(r, rec.peer_name, rec.peer_name_len, s.id, "peer name");
        if (s.has(img::unix_flag_file_attrs)) {
            img::RecordHeader fh{};
            auto f = r.expect<img::RecordType::unix_socket_file>(&fh);
            if (fh.objref != objref) r.fail_at("UNIX_SOCKET_FILE with objref {} in the table of objref {}", fh.objref, objref);
            if (f.reserved != 0 || (f.mode & ~07777u)) r.fail_at("UNIX_SOCKET_FILE of {}: mode {:o} or reserved field", s.id, f.mode);
            s.file_mode = f.mode;
            s.file_uid = f.uid;
            s.file_gid = f.gid;
        }
        if (s.has(img::unix_flag_bind_dir)) {
            auto dh = r.next();
            if (!dh || dh->type != static_cast<uint32_t>(img::RecordType::string) || dh->objref != objref)
                r.fail_at("UNIX_SOCKET {}: expected the STRING with the directory its relative name was bound in", s.id);
            s.bind_dir = r.read_string();
            if (auto why = files::non_canonical_reason(s.bind_dir))
                r.fail_at("UNIX_SOCKET {}: the directory {} of its relative name is refused: {}", s.id, s.bind_dir, *why);
            if (s.name.empty() || s.name[0] == '/' || s.name[0] == '\0' || !s.has(img::unix_flag_path_present) ||
                !s.has(img::unix_flag_bound))
                r.fail_at("UNIX_SOCKET {}: a bind directory without a relative path still bound", s.id);
        }
        uint64_t bytes = 0;
        for (uint32_t m = 0; m < rec.nr_messages; ++m) {
            img::RecordHeader mh{};
            auto mr = r.expect<img::RecordType::unix_message>(&mh);
            if (mh.objref != objref) r.fail_at("UNIX_MESSAGE with objref {} in the table of objref {}", mh.objref, objref);
            if (mr.reserved != 0 || (mr.flags & ~img::known_unix_msg_flags))
                r.fail_at("UNIX_MESSAGE of {}: reserved field or unknown flags {:#x}", s.id, mr.flags);
            if (mr.len > img::max_buffer_len) r.fail_at("UNIX_MESSAGE of {}: {} bytes", s.id, mr.len);
            bytes += mr.len;
            if (bytes > max_queue_bytes) r.fail_at("UNIX_SOCKET {}: over {} bytes in flight", s.id, max_queue_bytes);
            UnixMessage msg;
            msg.sender_id = mr.sender_id;
            // A relative sender name: a table socket sends it, or a stand-in in a private root.
            msg.sender_name = checked_name(r, mr.sender_name, mr.sender_name_len, s.id, "sender name", true);
            auto bh = r.next();
            if (!bh || bh->type != static_cast<uint32_t>(img::RecordType::buffer) || bh->objref != objref)
                r.fail_at("UNIX_MESSAGE of {}: expected its data in a BUFFER", s.id);
            msg.data = r.read_buffer();
            if (msg.data.size() != mr.len) r.fail_at("UNIX_MESSAGE of {}: {} bytes announced, {} in the BUFFER", s.id, mr.len, msg.data.size());
            if (mr.flags & img::unix_msg_flag_scm) {
                img::RecordHeader sh{};
                auto sr = r.expect<img::RecordType::unix_scm>(&sh);
                if (sh.objref != objref) r.fail_at("UNIX_SCM with objref {} in the table of objref {}", sh.objref, objref);
                if (sr.reserved != 0 || (sr.flags & ~img::unix_scm_flag_creds))
                    r.fail_at("UNIX_SCM of {}: reserved field or unknown flags {:#x}", s.id, sr.flags);
                if (sr.nr_fds > img::unix_scm_max_fds) r.fail_at("UNIX_SCM of {}: {} fds in one message", s.id, sr.nr_fds);
                if (sr.nr_fds == 0 && !(sr.flags & img::unix_scm_flag_creds)) r.fail_at("UNIX_SCM of {}: empty", s.id);
                if (!(sr.flags & img::unix_scm_flag_creds) && (sr.pid || sr.uid || sr.gid))
                    r.fail_at("UNIX_SCM of {}: credentials without the credentials flag", s.id);
                if (sr.pid < 0) r.fail_at("UNIX_SCM of {}: pid {}", s.id, sr.pid);
                msg.has_creds = (sr.flags & img::unix_scm_flag_creds) != 0;
                msg.cred_pid = sr.pid;
                msg.cred_uid = sr.uid;
                msg.cred_gid = sr.gid;
                for (uint32_t k = 0; k < sr.nr_fds; ++k) {
                    img::RecordHeader fh{};
                    auto fr = r.expect<img::RecordType::unix_scm_fd>(&fh);
                    if (fh.objref != objref) r.fail_at("UNIX_SCM_FD with objref {} in the table of objref {}", fh.objref, objref);
                    if (fr.kind != img::unix_scm_fd_file && fr.kind != img::unix_scm_fd_socket)
                        r.fail_at("UNIX_SCM_FD of {}: kind {}", s.id, fr.kind);
                    if (fr.ref == 0) r.fail_at("UNIX_SCM_FD of {}: reference 0", s.id);
                    if (fr.flags & ~static_cast<uint32_t>(O_NONBLOCK | O_ASYNC)) r.fail_at("UNIX_SCM_FD of {}: flags {:#x}", s.id, fr.flags);
                    if (fr.kind == img::unix_scm_fd_file && fr.flags) r.fail_at("UNIX_SCM_FD of {}: flags on a file", s.id);
                    msg.fds.push_back(UnixFdInFlight{fr.kind, fr.ref, fr.flags, -1});
                }
                if (msg.data.empty() && s.type == SOCK_STREAM) r.fail_at("UNIX_SCM of {}: control data on no stream bytes", s.id);
            }
            s.queue.push_back(std::move(msg));
        }
        table.push_back(std::move(s));
    }
    // References between sockets, and states that go with them.
    auto find = [&](uint64_t id) -> const UnixSocket* {
        for (const auto& s : table)
            if (s.id == id) return &s;
        return nullptr;
    };
    std::set<uint64_t> sent;  // sockets some message carries
    for (const UnixSocket& s : table)
        for (const UnixMessage& m : s.queue)
            for (const UnixFdInFlight& f : m.fds)
                if (f.kind == img::unix_scm_fd_socket) sent.insert(f.ref);
    for (const UnixSocket& s : table) {
        const bool named = !s.name.empty();
        if (s.has(img::unix_flag_in_flight) && !sent.count(s.id)) r.fail_at("{}: in flight but in no message", describe(s));
        if (s.has(img::unix_flag_bound) && !named) r.fail_at("{}: bound without a name", describe(s));
        if (s.has(img::unix_flag_path_present) && (!named || s.abstract())) r.fail_at("{}: a present path without a path", describe(s));
        if (s.has(img::unix_flag_file_attrs) && (!s.has(img::unix_flag_path_present) || !s.has(img::unix_flag_bound)))
            r.fail_at("{}: socket file attributes without a bound path that was present", describe(s));
        if (s.has(img::unix_flag_bound) && s.has(img::unix_flag_accepted)) r.fail_at("{}: both bound and accepted", describe(s));
        if (s.state == TCP_LISTEN) {
            if (!s.connection_oriented()) r.fail_at("{}: a listening datagram socket", describe(s));
            if (!s.has(img::unix_flag_bound)) r.fail_at("{}: listening without a name", describe(s));
            if (s.peer_id || !s.queue.empty()) r.fail_at("{}: a listener with a peer or data", describe(s));
        }
        if (s.peer_id) {
            const UnixSocket* p = find(s.peer_id);
            if (!p) r.fail_at("{}: peer {} is not in the table", describe(s), s.peer_id);
            if (p->type != s.type) r.fail_at("{}: peer {} is of another type", describe(s), s.peer_id);
            if (s.has(img::unix_flag_external_peer) || s.has(img::unix_flag_orphan))
                r.fail_at("{}: a peer in the table and an external or closed one", describe(s));
            if (s.connection_oriented() && (s.state != TCP_ESTABLISHED || p->peer_id != s.id))
                r.fail_at("{}: a connection whose ends do not name each other", describe(s));
            if (p->state == TCP_LISTEN) r.fail_at("{}: connected to a listener", describe(s));
        } else if (s.connection_oriented() && s.state == TCP_ESTABLISHED && !s.has(img::unix_flag_external_peer) &&
                   !s.has(img::unix_flag_orphan)) {
            r.fail_at("{}: connected without a peer", describe(s));
        }
        if (s.has(img::unix_flag_in_flight) && s.has(img::unix_flag_embryo)) r.fail_at("{}: a pending connection in flight", describe(s));
        if (s.has(img::unix_flag_accepted) && (!s.connection_oriented() || s.state != TCP_ESTABLISHED || !named))
            r.fail_at("{}: accepted but not an established named connection", describe(s));
        if (s.has(img::unix_flag_embryo)) {
            const UnixSocket* l = find(s.listener_id);
            if (!l || l->state != TCP_LISTEN || l->type != s.type) r.fail_at("{}: pending on {}, not a listener", describe(s), s.listener_id);
            if (!s.peer_id || !s.queue.empty() || s.name != l->name) r.fail_at("{}: a pending connection without a peer, or with data", describe(s));
        } else if (s.listener_id) {
            r.fail_at("{}: names a listener but is not a pending connection", describe(s));
        }
        for (const UnixMessage& m : s.queue) {
            if (s.state == TCP_LISTEN) r.fail_at("{}: data on a listener", describe(s));
            if (m.sender_id && (s.type != SOCK_DGRAM || !find(m.sender_id)))
                r.fail_at("{}: a message from {}, not a datagram socket of the table", describe(s), m.sender_id);
            if (s.type == SOCK_STREAM && m.data.empty()) r.fail_at("{}: an empty stream chunk", describe(s));
            for (const UnixFdInFlight& f : m.fds)
                if (f.kind == img::unix_scm_fd_socket) {
                    const UnixSocket* x = find(f.ref);
                    if (!x || x->has(img::unix_flag_embryo)) r.fail_at("{}: socket {} in flight is not a socket of the table", describe(s), f.ref);
                }
        }
    }
    return table;
}

}  // namespace myrt::cr::net
