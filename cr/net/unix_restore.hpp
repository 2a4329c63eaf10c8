#pragma once
// Restore side of the AF_UNIX sockets: the whole table at once, inside the
// container's network and mount namespaces, in the order the kernel needs
// (docs/cr-net.md): sockets and names, listeners, accepted connections
// (connect + accept), pending connections (connect only, oldest first),
// datagram connects, data in flight, shutdowns, options, deleted paths.
#include "cr/files/as_task.hpp"
#include "cr/net/unix_table.hpp"
#include "util/fd.hpp"

#include <sys/types.h>

#include <map>

namespace myrt::cr::net {

// The restorer's fd of every table socket held by a task (pending
// connections live only in their listener's queue). With `creds` (the task
// whose files section carries the table), every bind, connect, send and
// unlink runs with those credentials, and a path in the way of a bind is
// removed only when it is a dead socket file owned by the task's uid.
// `files_in_flight`: the restorer's fd of every file objref a message carries
// in flight; they are sent again with the message (SCM_RIGHTS), as are the
// table's sockets in flight, which are not returned (no task holds them).
std::map<uint64_t, UniqueFd> recreate_unix_sockets(const UnixTable& table, pid_t init_pid,
                                                   const files::TaskCredentials* creds = nullptr,
                                                   const std::map<uint64_t, int>& files_in_flight = {});

}  // namespace myrt::cr::net
