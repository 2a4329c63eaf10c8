#pragma once
// The peer's FIN of a half-closed connection (CLOSE_WAIT, CLOSING,
// LAST_ACK) after its restore. TCP_REPAIR cannot put a received FIN back, and
// the peer, whose FIN was acknowledged, never sends it again: the restorer
// sends the socket that FIN itself, from the peer's address, through a raw
// socket (CAP_NET_RAW) in the container's network namespace, as CRIU does.
#include "cr/net/inet_table.hpp"

namespace myrt::cr::net {

// `sock` (out of repair mode, its lock removed) receives `s`'s peer FIN
// with the sequence number it had; the ACK it sends back the peer already had.
void deliver_peer_fin(int sock, const InetSocket& s);

}  // namespace myrt::cr::net
