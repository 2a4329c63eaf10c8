#include "cr/net/socket_dump_common.hpp"

#include "util/error.hpp"

#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>

namespace myrt::cr::net {

int64_t socket_timeout_us(int sock, int opt, const std::string& who, const char* what) {
    timeval tv{};
    socklen_t len = sizeof tv;
    if (::getsockopt(sock, SOL_SOCKET, opt, &tv, &len) < 0) throw_errno("getsockopt {} on {}", what, who);
    return static_cast<int64_t>(tv.tv_sec) * 1000000 + tv.tv_usec;
}

bool is_inherited_stdio(const files::DumpContext& ctx, pid_t pid, int fd, uint64_t ino) {
    if (fd > 2) return false;
    if (ctx.inherited_stdio) return ctx.inherited_stdio(pid, fd);
    return std::find(ctx.outside_inodes.begin(), ctx.outside_inodes.end(), ino) != ctx.outside_inodes.end();
}

}  // namespace myrt::cr::net
