#pragma once
// Established TCP connections through TCP_REPAIR (Linux 3.5+; CAP_NET_ADMIN
// in the socket's network namespace). In repair mode a socket sends nothing:
// its queues can be read, and a new socket can be given sequence numbers,
// queues, options and window and "connected" without a handshake. A socket
// closed in repair mode sends neither FIN nor RST, which is what lets the
// checkpointed container die without its peers noticing.
#include "cr/net/inet_table.hpp"

namespace myrt::cr::net {

void tcp_repair_on(int sock, const std::string& who);
void tcp_repair_off(int sock) noexcept;  // the kernel sends a window probe: the peer learns the window again

// Reads the connection's state (`state`: its TCP state, established or
// half-closed); the socket must be in repair mode. Nothing is consumed.
TcpRepairState dump_tcp_connection(int sock, uint32_t state, const std::string& who);

// A new socket (in repair mode, options before bind already set) becomes
// `s`'s connection: sequence numbers, bind, connect, options, timestamps,
// the receive queue and the part of the send queue that had been sent, the
// window. It stays in repair mode.
void restore_tcp_connection(int sock, const InetSocket& s);
// Out of repair mode, then the part of the send queue never sent goes out as new data.
void finish_tcp_connection(int sock, const InetSocket& s);
// A half-closed connection, once out of repair mode and unlocked: the peer's
// FIN is delivered (tcp_fin.hpp), ours sent again behind the data.
void finish_half_close(int sock, const InetSocket& s);

}  // namespace myrt::cr::net
