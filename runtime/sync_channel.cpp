#include "runtime/sync_channel.hpp"

#include "util/scm.hpp"

#include <sys/socket.h>

#include <cstring>
#include <vector>

#include "util/error.hpp"

namespace myrt::runtime {

std::pair<SyncChannel, SyncChannel> SyncChannel::make_pair() {
    int sv[2];
    check(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), "socketpair");
    return {SyncChannel(UniqueFd(sv[0])), SyncChannel(UniqueFd(sv[1]))};
}

void SyncChannel::send(SyncMsg m, const std::string& payload) { send_message(m, payload, -1); }

void SyncChannel::send_with_fd(SyncMsg m, int fd) { send_message(m, {}, fd); }

void SyncChannel::send_message(SyncMsg m, const std::string& payload, int fd) {
    std::vector<char> buf(sizeof(int) + payload.size());
    int v = static_cast<int>(m);
    std::memcpy(buf.data(), &v, sizeof v);
    std::memcpy(buf.data() + sizeof v, payload.data(), payload.size());
    iovec iov{buf.data(), buf.size()};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    ScmControl control(fd >= 0 ? std::span(&fd, 1) : std::span<const int>());
    control.attach(msg);
    while (::sendmsg(fd_.get(), &msg, MSG_NOSIGNAL) < 0) {
        if (errno != EINTR) throw_errno("sync channel send");
    }
}

std::pair<SyncMsg, std::string> SyncChannel::recv() {
    auto m = recv_or_eof();
    if (!m) fail("the container process exited during setup");
    return *m;
}

std::optional<std::pair<SyncMsg, std::string>> SyncChannel::recv_or_eof() {
    std::vector<char> buf(64 * 1024);
    iovec iov{buf.data(), buf.size()};
    ScmReceiveBuffer control(1);
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    control.attach(msg);
    ssize_t n;
    while ((n = ::recvmsg(fd_.get(), &msg, MSG_CMSG_CLOEXEC)) < 0) {
        if (errno != EINTR) throw_errno("sync channel receive");
    }
    received_fd_.reset();
    ScmReceived got = take_scm(msg);
    if (got.truncated || got.fds.size() > 1) fail("sync channel: more file descriptors than expected");
    if (!got.fds.empty()) received_fd_ = std::move(got.fds.front());
    if (n == 0) return std::nullopt;
    if (static_cast<size_t>(n) < sizeof(int)) fail("sync channel: short message");
    int v;
    std::memcpy(&v, buf.data(), sizeof v);
    std::string payload(buf.data() + sizeof v, static_cast<size_t>(n) - sizeof v);
    if (static_cast<SyncMsg>(v) == SyncMsg::error) throw Error(payload);
    return std::make_pair(static_cast<SyncMsg>(v), payload);
}

std::string SyncChannel::expect(SyncMsg m, const char* what) {
    auto [got, payload] = recv();
    if (got != m) fail("sync channel: unexpected message {} while waiting for {}", static_cast<int>(got), what);
    return payload;
}

}  // namespace myrt::runtime
