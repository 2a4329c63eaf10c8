#pragma once
// Connections in a listener's accept queue whose (container) client already
// sent data: that data sits in a socket no process holds, so the checkpoint
// accepts them (on a copy of the listener) to read it, and, when the
// container runs on (--leave-running, a failed checkpoint), puts each back:
// the client is disconnected in repair mode (no packet), connects again from
// the same address and sends the data again, in the queue's order.
#include "cr/net/inet_table.hpp"
#include "util/fd.hpp"

#include <string>

namespace myrt::cr::net {

// The next connection of the listener's queue (never blocks: fails when empty).
UniqueFd accept_pending(int listener, const std::string& who);
// The bytes queued on an accepted connection in repair mode, not consumed.
std::vector<std::byte> peek_early_data(int child, const std::string& who);
// `client` (the container's socket, flagged reconnect) connects again to its
// listener and sends `s.tcp.send_queue`; both the checkpoint's undo and the
// restore use it (the restore on a new socket, `disconnect` false).
void reconnect_pending(int client, const InetSocket& s, bool disconnect);
bool requeue_pending_connection(int client, const InetSocket& s, std::string& why) noexcept;

}  // namespace myrt::cr::net
