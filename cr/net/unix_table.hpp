#pragma once
// The container's AF_UNIX sockets as one table, the form both sides work on:
// the checkpoint builds it from sock_diag and the sockets themselves, writes
// it after the first socket description; the restore reads it back (every
// field checked) and recreates all sockets at once, so connections, pending
// connections and queues can be made in the order the kernel needs.
#include "cr/image/record_reader.hpp"
#include "cr/image/record_writer.hpp"
#include "cr/image/records.hpp"

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace myrt::cr::net {

// One fd in flight (SCM_RIGHTS): a unix socket of the table, or a file
// description the image holds as any other (its objref).
struct UnixFdInFlight {
    uint32_t kind = 0;          // image::unix_scm_fd_file or unix_scm_fd_socket
    uint64_t ref = 0;           // objref or socket id
    uint32_t flags = 0;         // a socket held by no task: its O_NONBLOCK/O_ASYNC
    int local_fd = -1;          // checkpoint: myrt's copy (from the peek), until the dump gives it an objref
};

struct UnixMessage {
    std::vector<std::byte> data;
    uint64_t sender_id = 0;     // dgram: the table socket that sent it; 0 = peer or unnamed/closed sender
    std::string sender_name;    // dgram: the address recvfrom() gave
    std::vector<UnixFdInFlight> fds;  // SCM_RIGHTS, in the order they were sent
    bool has_creds = false;     // SCM_CREDENTIALS as the receiver (SO_PASSCRED) sees them
    int32_t cred_pid = 0;       // in the container's pid namespace; 0 = outside or gone
    uint32_t cred_uid = 0, cred_gid = 0;
    bool has_scm() const { return has_creds || !fds.empty(); }
};

struct UnixSocket {
    uint64_t id = 0;
    uint64_t peer_id = 0;
    uint64_t listener_id = 0;
    uint32_t type = 0, state = 0, flags = 0, shutdown = 0, backlog = 0;
    uint32_t sndbuf = 0, rcvbuf = 0;
    int32_t peek_off = -1;
    int64_t rcvtimeo_us = 0, sndtimeo_us = 0;
    std::string name;           // sun_path bytes; abstract names start with NUL
    std::string peer_name;      // external peer's address (getpeername), for a dgram reconnect
    std::vector<UnixMessage> queue;  // the receive queue, oldest first
    uint32_t file_mode = 0, file_uid = 0, file_gid = 0;  // unix_flag_file_attrs: the socket file's
    std::string bind_dir;       // unix_flag_bind_dir: the directory (in the container) a relative name was bound in

    bool has(uint32_t flag) const { return (flags & flag) != 0; }
    bool connection_oriented() const;  // stream or seqpacket
    bool abstract() const { return !name.empty() && name[0] == '\0'; }
};

// Sockets in table order (the order restore follows for pending connections).
using UnixTable = std::vector<UnixSocket>;

// "socket:[N]" plus its name, for messages.
std::string describe(const UnixSocket& s);
std::string printable_name(const std::string& name);

void write_table(const UnixTable& table, uint64_t objref, image::RecordWriter& w);
// Reads `count` sockets with their messages and checks every field and every
// reference between sockets (peers, listeners, senders) before anything is created.
// `first`: the first UNIX_SOCKET's header when the caller already read it
// (it read the fds in flight before the table, up to the first socket).
UnixTable read_table(image::RecordReader& r, uint64_t objref, uint32_t count,
                     const image::RecordHeader* first = nullptr);

}  // namespace myrt::cr::net
