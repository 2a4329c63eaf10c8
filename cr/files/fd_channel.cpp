#include "cr/files/fd_channel.hpp"

#include "util/error.hpp"
#include "util/scm.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <utility>

namespace myrt::cr::files {

namespace {

// Layout of the scratch area for one recvmsg.
constexpr size_t msghdr_off = 0;
constexpr size_t iovec_off = 64;
constexpr size_t data_off = 96;
constexpr size_t control_off = 128;
constexpr size_t control_len = CMSG_SPACE(sizeof(int));
static_assert(sizeof(msghdr) <= iovec_off && iovec_off + sizeof(iovec) <= data_off && data_off < control_off);

}  // namespace

FdChannel::FdChannel(pid_t pid, Injector& inj, RemoteScratch& scratch, int above)
    : pid_(pid), inj_(inj), scratch_(scratch) {
    if (scratch.size() < control_off + control_len) fail("fd channel: scratch area of {} bytes is too small", scratch.size());
    inj_.checked("socketpair in the restored task", SYS_socketpair, AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
                 scratch_.addr());
    auto sv = scratch_.get<std::array<int, 2>>(0);
    UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0)));
    if (!pidfd) throw_errno("pidfd_open of pid {}", pid_);
    local_.reset(static_cast<int>(::syscall(SYS_pidfd_getfd, pidfd.get(), sv[0], 0)));
    if (!local_) throw_errno("pidfd_getfd of fd {} of pid {}", sv[0], pid_);
    inj_.checked("close", SYS_close, static_cast<uint64_t>(sv[0]));
    task_fd_ = static_cast<int>(inj_.checked("F_DUPFD_CLOEXEC", SYS_fcntl, static_cast<uint64_t>(sv[1]), F_DUPFD_CLOEXEC,
                                             static_cast<uint64_t>(above)));
    inj_.checked("close", SYS_close, static_cast<uint64_t>(sv[1]));
}

FdChannel::~FdChannel() {
    if (task_fd_ < 0) return;
    try {
        inj_.syscall(SYS_close, static_cast<uint64_t>(task_fd_));
    } catch (...) {
        // The task is being torn down after a failure already reported.
    }
}

void FdChannel::close() {
    int fd = std::exchange(task_fd_, -1);
    if (fd >= 0) inj_.checked("close of the fd channel", SYS_close, static_cast<uint64_t>(fd));
    local_.reset();
}

int FdChannel::send(int local_fd, bool cloexec) {
    const std::byte byte{'F'};
    try {
        send_fd(local_.get(), local_fd, std::span(&byte, 1));
    } catch (const SystemError& e) {
        throw SystemError(e.code(), fmt::format("sending fd {} to pid {}", local_fd, pid_));
    }

    // The same message header again, with the task's addresses.
    msghdr remote{};
    remote.msg_iov = reinterpret_cast<iovec*>(scratch_.addr() + iovec_off);
    remote.msg_iovlen = 1;
    remote.msg_control = reinterpret_cast<void*>(scratch_.addr() + control_off);
    remote.msg_controllen = control_len;
    iovec remote_iov{reinterpret_cast<void*>(scratch_.addr() + data_off), 1};
    scratch_.put(msghdr_off, remote);
    scratch_.put(iovec_off, remote_iov);
    std::array<std::byte, control_len> zero{};
    scratch_.write(control_off, zero);
    long n = inj_.checked("recvmsg of a restored fd", SYS_recvmsg, static_cast<uint64_t>(task_fd_),
                          scratch_.addr() + msghdr_off, cloexec ? MSG_CMSG_CLOEXEC : 0);
    auto got = scratch_.get<msghdr>(msghdr_off);
    auto hdr = scratch_.get<cmsghdr>(control_off);
    if (n != 1 || (got.msg_flags & MSG_CTRUNC) || hdr.cmsg_level != SOL_SOCKET || hdr.cmsg_type != SCM_RIGHTS ||
        hdr.cmsg_len != CMSG_LEN(sizeof(int)))
        fail("pid {} did not receive fd {} over the fd channel (recvmsg returned {})", pid_, local_fd, n);
    return scratch_.get<int>(control_off + CMSG_LEN(0));
}

}  // namespace myrt::cr::files
