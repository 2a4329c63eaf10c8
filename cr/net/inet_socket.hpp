#pragma once
// AF_INET and AF_INET6 sockets (TCP and UDP) as an fd kind of the files layer
// (cr/files/fd_kind_ops.hpp): listeners with their backlog and connections
// not yet accepted from the container's own clients, bound and unbound
// sockets, UDP with its queued datagrams, established TCP connections
// through TCP_REPAIR (--tcp-established), options. docs/cr-net.md describes
// records and limits.
#include "cr/files/fd_kind_ops.hpp"
#include "cr/files/files.hpp"

#include <memory>

namespace myrt::cr::net {

std::unique_ptr<files::FdKindOps> make_inet_socket_kind();

// Checkpoint: --tcp-established, and whether the network namespace is
// external (joined by path: it outlives the container, so its connections
// are locked until the restore).
void configure_inet_dump(files::DumpContext& ctx, bool tcp_established, bool netns_external);
// The container is about to be killed: connections stay in repair mode (no
// FIN, no RST when they close) and locked. Without this call, or after
// release_inet_dump (--leave-running), the sockets go back to normal.
void commit_inet_dump(files::DumpContext& ctx);
void release_inet_dump(files::DumpContext& ctx);

// Restore: --tcp-close.
void configure_inet_restore(files::RestoreContext& ctx, bool tcp_close);

}  // namespace myrt::cr::net
