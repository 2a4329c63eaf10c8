#pragma once
// What the unix and the inet kinds read the same way while they dump sockets.
#include "cr/files/files.hpp"

#include <sys/types.h>

#include <cstdint>
#include <string>

namespace myrt::cr::net {

// SO_RCVTIMEO / SO_SNDTIMEO (the _OLD timeval forms) in microseconds; `who`
// and `what` name the socket and the option in the error.
int64_t socket_timeout_us(int sock, int opt, const std::string& who, const char* what);

// Fd 0-2 of `pid` is the container's stdio from outside (a socket conmon or
// containerd holds): re-attached at restore, not one of the container's sockets.
bool is_inherited_stdio(const files::DumpContext& ctx, pid_t pid, int fd, uint64_t ino);

}  // namespace myrt::cr::net
