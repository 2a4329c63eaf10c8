#pragma once
// Control messages of AF_UNIX sockets: SCM_RIGHTS (fds) and SCM_CREDENTIALS,
// built for sendmsg and taken apart after recvmsg. The runtime's sync channel
// and console socket, the files layer's fd channel and the unix socket
// restore all pass fds through here.
#include "util/fd.hpp"

#include <sys/socket.h>

#include <cstddef>
#include <optional>
#include <span>
#include <vector>

namespace myrt {

// A control buffer for sendmsg: one SCM_RIGHTS with `fds` (none when empty),
// then SCM_CREDENTIALS when `creds` is given.
class ScmControl {
public:
    explicit ScmControl(std::span<const int> fds, const ucred* creds = nullptr);
    // Points msg's control at this buffer (an empty one leaves it unset).
    void attach(msghdr& msg);
    std::span<const std::byte> bytes() const;

private:
    std::vector<cmsghdr> buf_;  // cmsghdr elements: aligned as the kernel wants
    size_t len_ = 0;
};

// Room for a recvmsg control buffer holding `max_fds` fds and credentials.
class ScmReceiveBuffer {
public:
    explicit ScmReceiveBuffer(size_t max_fds);
    void attach(msghdr& msg);

private:
    std::vector<cmsghdr> buf_;
};

struct ScmReceived {
    std::vector<UniqueFd> fds;   // every fd of every SCM_RIGHTS, owned now
    std::optional<ucred> creds;
    bool truncated = false;      // MSG_CTRUNC: fds were lost
};

// Takes the fds and credentials out of a message recvmsg filled.
ScmReceived take_scm(const msghdr& msg);

// One fd with `data` (at least one byte: a stream carries no fds without data).
void send_fd(int sock, int fd, std::span<const std::byte> data);
// Receives one message of up to data.size() bytes and the fd it carries;
// returns the bytes read and the fd (empty if none came). Throws on errors.
std::pair<size_t, UniqueFd> receive_fd(int sock, std::span<std::byte> data);

}  // namespace myrt
