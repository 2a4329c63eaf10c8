#pragma once
// AF_UNIX sockets as an fd kind of the files layer (cr/files/fd_kind_ops.hpp):
// stream, datagram and seqpacket; socketpairs, bound (path or abstract) and
// unbound sockets; listeners with their pending connections; data in flight;
// shutdown state and options. docs/cr-net.md describes records and limits.
#include "cr/files/fd_kind_ops.hpp"
#include "cr/files/files.hpp"

#include <memory>

namespace myrt::cr::net {

std::unique_ptr<files::FdKindOps> make_unix_socket_kind();

// --ext-unix-sk: a socket whose peer is outside the container is dumped
// (restored with that peer gone) instead of failing the checkpoint.
void allow_external_unix_peers(files::DumpContext& ctx, bool allow);

}  // namespace myrt::cr::net
