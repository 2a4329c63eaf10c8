#pragma once
// The network lock of a namespace the container does not own (joined by
// path): it outlives the container, so between the checkpoint (the sockets
// die with the tasks) and the restore, a segment from a peer would find no
// socket and be answered with a reset. A DROP rule per connection, in that
// namespace's INPUT chain, makes the peer retransmit instead; the restore
// removes it once the connection is back. The rules are iptables'
// (ip6tables for IPv6), run inside the namespace, as CRIU does.
#include "cr/net/inet_table.hpp"

#include <sys/types.h>

namespace myrt::cr::net {

// Inserts the rule for connection `s` in the network namespace of `pid`.
void lock_connection(pid_t pid, const InetSocket& s);
// Removes it; false (and the reason in `why`) when it was not there or iptables failed.
bool unlock_connection(pid_t pid, const InetSocket& s, std::string& why);

}  // namespace myrt::cr::net
