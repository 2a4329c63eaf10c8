#pragma once
// AF_UNIX sockets as an fd kind of the files layer (cr/files/fd_kind_ops.hpp):
// stream, datagram and seqpacket; socketpairs, bound (path or abstract) and
// unbound sockets; listeners with their pending connections; data in flight;
// shutdown state and options. docs/cr-net.md describes records and limits.
#include "cr/files/fd_kind_ops.hpp"
#include "cr/files/files.hpp"

#include <memory>
#include <vector>

namespace myrt::cr::net {

std::unique_ptr<files::FdKindOps> make_unix_socket_kind();

// --ext-unix-sk: a socket whose peer is outside the container is dumped
// (restored with that peer gone) instead of failing the checkpoint.
void allow_external_unix_peers(files::DumpContext& ctx, bool allow);

// Builds the socket table ahead of the collect pass (when a container task
// holds a socket) and returns myrt's fds of the descriptions in flight in its
// queues that are not unix sockets of the table, so the collect pass counts
// them as the container's and the leak check finds them held outside.
std::vector<int> unix_descriptions_in_flight(files::DumpContext& ctx);

}  // namespace myrt::cr::net
