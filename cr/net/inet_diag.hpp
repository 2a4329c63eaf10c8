#pragma once
// The TCP and UDP sockets (IPv4 and IPv6) of one network namespace as
// sock_diag (NETLINK_SOCK_DIAG, inet_diag) reports them. The inet table takes
// from here what the socket fds cannot tell: the connections waiting in a
// listener's accept queue (they have no fd, inode 0) and the shutdown state.
#include "cr/net/inet_table.hpp"

#include <sys/types.h>

#include <cstdint>
#include <vector>

namespace myrt::cr::net {

struct InetDiag {
    uint32_t protocol = 0;    // IPPROTO_TCP, IPPROTO_UDP
    uint32_t state = 0;       // TCP_* as the kernel numbers them
    uint64_t ino = 0;         // 0: no socket file (accept queue, TIME_WAIT, orphans)
    InetAddress local, remote;
    uint32_t rqueue = 0;      // listener: connections waiting; else bytes unread
    uint32_t wqueue = 0;      // listener: its backlog; else bytes unsent or unacknowledged
    uint32_t shutdown = 0;    // 1 receive, 2 send
};

// Every TCP and UDP socket of the network namespace of `pid`.
std::vector<InetDiag> inet_sockets_of_netns(pid_t pid);

}  // namespace myrt::cr::net
