#pragma once
// The AF_UNIX sockets of one network namespace as sock_diag (NETLINK_SOCK_DIAG,
// unix_diag) reports them: names, peers, pending connections, queue lengths
// and shutdown state, keyed by socket inode.
#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace myrt::cr::net {

struct UnixDiag {
    uint64_t ino = 0;
    uint32_t type = 0;        // SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET
    uint32_t state = 0;       // TCP_ESTABLISHED, TCP_CLOSE, TCP_LISTEN
    std::string name;         // sun_path bytes as bound (abstract: leading NUL); empty = unnamed
    bool has_vfs = false;     // bound to a path: the socket file's inode
    uint64_t vfs_ino = 0, vfs_dev = 0;
    uint64_t peer = 0;        // peer socket inode, 0 = none
    std::vector<uint64_t> icons;  // listener: pending connections (embryo inodes), oldest first
    uint32_t rqueue = 0;      // listener: pending count; else bytes in the receive queue
    uint32_t wqueue = 0;      // listener: backlog; else bytes in the send queue
    uint32_t shutdown = 0;    // sk_shutdown: 1 receive, 2 send
};

// Every unix socket of the network namespace of `pid` (the query runs in it).
std::map<uint64_t, UnixDiag> unix_sockets_of_netns(pid_t pid);

}  // namespace myrt::cr::net
