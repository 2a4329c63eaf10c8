#pragma once
// What /proc says about the sockets of the container: which processes are
// the container's, which of their fds are sockets, who outside holds one.
// The inet kind uses these for its table and its leak check.
#include "util/fd.hpp"

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace myrt::cr::net {

std::string read_link(const std::string& path);
// The inode of "socket:[N]", 0 for any other link.
uint64_t socket_ino(const std::string& link);
// Every process in the pid namespace of `init_pid`.
std::vector<pid_t> container_pids(pid_t init_pid);
// The socket fds of `pid`: (fd, socket inode), in /proc's order.
std::vector<std::pair<int, uint64_t>> socket_fds_of(pid_t pid);
// A copy of fd `fd` of `pid` (pidfd_getfd): the same open file description.
UniqueFd grab_fd(pid_t pid, int fd);
// For each of `inodes`, the "fd N of pid P" of processes outside `inside`
// (and other than myrt itself) that hold it; inodes nobody outside holds are absent.
std::map<uint64_t, std::string> outside_holders(const std::set<uint64_t>& inodes, const std::set<pid_t>& inside);

}  // namespace myrt::cr::net
