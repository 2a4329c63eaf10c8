#pragma once
// Restore side of the TCP and UDP sockets: the whole table at once, on a
// thread in the container init's network namespace (docs/cr-net.md).
#include "cr/net/inet_table.hpp"
#include "util/fd.hpp"

#include <sys/types.h>

#include <map>

namespace myrt::cr::net {

struct InetRestoreOptions {
    bool tcp_close = false;  // --tcp-close: established connections come back as closed sockets
};

// Every socket of `table`, keyed by id, ready to be installed in the tasks.
std::map<uint64_t, UniqueFd> recreate_inet_sockets(const InetTable& table, pid_t init_pid, const InetRestoreOptions& opts);

}  // namespace myrt::cr::net
