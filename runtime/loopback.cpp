#include "runtime/loopback.hpp"

#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <cstring>

#include "util/error.hpp"
#include "util/fd.hpp"

namespace myrt::runtime {

void bring_up_loopback() {
    // Any socket of the namespace carries interface ioctls; no netlink needed for one flag.
    UniqueFd s(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!s) throw_errno("socket for the loopback interface");
    ifreq req{};
    std::strncpy(req.ifr_name, "lo", IFNAMSIZ - 1);
    if (::ioctl(s.get(), SIOCGIFFLAGS, &req) != 0) throw_errno("read the flags of lo in the new network namespace");
    if (req.ifr_flags & IFF_UP) return;
    req.ifr_flags = static_cast<short>(req.ifr_flags | IFF_UP | IFF_RUNNING);
    if (::ioctl(s.get(), SIOCSIFFLAGS, &req) != 0) throw_errno("set lo up in the new network namespace");
}

}  // namespace myrt::runtime
