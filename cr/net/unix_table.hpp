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

struct UnixMessage {
    std::vector<std::byte> data;
    uint64_t sender_id = 0;     // dgram: the table socket that sent it; 0 = peer or unnamed/closed sender
    std::string sender_name;    // dgram: the address recvfrom() gave
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
UnixTable read_table(image::RecordReader& r, uint64_t objref, uint32_t count);

}  // namespace myrt::cr::net
