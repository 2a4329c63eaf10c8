#pragma once
// The container's TCP and UDP sockets (AF_INET, AF_INET6) as one table, as
// for unix sockets (unix_table.hpp): the checkpoint builds it from the
// sockets themselves and sock_diag, writes it after the first inet socket
// description; the restore reads it back, every field checked, and
// recreates all sockets at once (listeners before the clients that connect
// to them, every repaired connection before any leaves repair mode).
#include "cr/image/record_reader.hpp"
#include "cr/image/record_writer.hpp"
#include "cr/image/records.hpp"

#include <netinet/in.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace myrt::cr::net {

struct InetAddress {
    uint16_t family = 0;                 // AF_INET or AF_INET6
    std::array<uint8_t, 16> addr{};      // AF_INET: the first 4 bytes
    uint16_t port = 0;                   // host order

    bool any() const;                    // the wildcard address
    bool operator==(const InetAddress&) const = default;
};
std::string to_string(const InetAddress& a);                 // "127.0.0.1:80", "[::1]:80"
std::string host_string(const InetAddress& a);              // "127.0.0.1", "::1"
InetAddress from_sockaddr(const sockaddr_storage& ss);
socklen_t to_sockaddr(const InetAddress& a, sockaddr_storage& ss);

struct InetMessage {
    uint32_t queue = image::inet_queue_recv;
    std::vector<std::byte> data;
    InetAddress sender;                  // UDP: recvfrom()'s address
};

struct TcpRepairState {
    uint32_t snd_seq = 0, rcv_seq = 0;   // TCP_QUEUE_SEQ: after the send queue's last byte; next expected byte
    uint32_t unsent_len = 0;             // the send queue's tail that was never sent
    uint32_t mss = 0, snd_wscale = 0, rcv_wscale = 0, timestamp = 0;
    bool timestamps = false, sack = false, wscale = false;
    uint32_t snd_wl1 = 0, snd_wnd = 0, max_window = 0, rcv_wnd = 0, rcv_wup = 0;  // TCP_REPAIR_WINDOW
    std::vector<std::byte> send_queue, recv_queue;
};

struct InetSocket {
    uint64_t id = 0;
    uint64_t listener_id = 0;            // inet_flag_reconnect
    uint32_t family = 0, type = 0, protocol = 0, state = 0, flags = 0, shutdown = 0, backlog = 0;
    uint32_t sndbuf = 0, rcvbuf = 0;
    int64_t rcvtimeo_us = 0, sndtimeo_us = 0;
    InetAddress local, remote;
    std::vector<image::InetOption> options;
    TcpRepairState tcp;                  // inet_flag_repair
    std::vector<InetMessage> datagrams;  // UDP receive queue, oldest first

    bool has(uint32_t flag) const { return (flags & flag) != 0; }
    bool tcp_socket() const { return protocol == IPPROTO_TCP; }
};

using InetTable = std::vector<InetSocket>;

// "TCP socket:[N] 127.0.0.1:80 -> 127.0.0.1:4000", for messages.
std::string describe(const InetSocket& s);
const char* tcp_state_name(uint32_t state);

// TCP states of a connection a process can hold that TCP_REPAIR can rebuild:
// established, and half-closed. Our FIN is in FIN_WAIT1/2, CLOSING and
// LAST_ACK (acknowledged in FIN_WAIT2 only); the peer's in CLOSE_WAIT,
// CLOSING and LAST_ACK. Each FIN took one sequence number.
bool tcp_connection_state(uint32_t state);
bool tcp_fin_sent(uint32_t state);
bool tcp_fin_acked(uint32_t state);
bool tcp_fin_received(uint32_t state);

// The options saved and restored, per level; `before_bind` ones are set
// before bind (they change what bind allows), `after_data` ones once the
// queues are refilled (corking would hold the refill back).
struct InetOptionInfo {
    int level, name;
    const char* text;
    bool tcp_only, udp_only, before_bind, after_data;
};
const std::vector<InetOptionInfo>& inet_options_for(uint32_t family);
const InetOptionInfo* find_inet_option(uint32_t family, int level, int name);

void write_inet_table(const InetTable& table, uint64_t objref, image::RecordWriter& w);
// Reads `count` sockets and checks every field and reference (a reconnecting
// client's listener, queue lengths against the records) before anything is created.
InetTable read_inet_table(image::RecordReader& r, uint64_t objref, uint32_t count);

}  // namespace myrt::cr::net
