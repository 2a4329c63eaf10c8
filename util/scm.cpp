#include "util/scm.hpp"

#include "util/error.hpp"

#include <cerrno>
#include <cstring>

namespace myrt {

namespace {

size_t elements_for(size_t bytes) { return (bytes + sizeof(cmsghdr) - 1) / sizeof(cmsghdr); }

}  // namespace

ScmControl::ScmControl(std::span<const int> fds, const ucred* creds) {
    size_t want = (fds.empty() ? 0 : CMSG_SPACE(fds.size_bytes())) + (creds ? CMSG_SPACE(sizeof(ucred)) : 0);
    buf_.resize(elements_for(want));
    if (want == 0) return;
    std::memset(buf_.data(), 0, buf_.size() * sizeof(cmsghdr));
    msghdr msg{};
    msg.msg_control = buf_.data();
    msg.msg_controllen = want;
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    if (!fds.empty()) {
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(fds.size_bytes());
        std::memcpy(CMSG_DATA(c), fds.data(), fds.size_bytes());
        c = CMSG_NXTHDR(&msg, c);
    }
    if (creds) {
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_CREDENTIALS;
        c->cmsg_len = CMSG_LEN(sizeof(ucred));
        std::memcpy(CMSG_DATA(c), creds, sizeof(ucred));
    }
    len_ = want;
}

void ScmControl::attach(msghdr& msg) {
    if (len_ == 0) return;
    msg.msg_control = buf_.data();
    msg.msg_controllen = len_;
}

std::span<const std::byte> ScmControl::bytes() const {
    return std::span(reinterpret_cast<const std::byte*>(buf_.data()), len_);
}

ScmReceiveBuffer::ScmReceiveBuffer(size_t max_fds)
    : buf_(elements_for(CMSG_SPACE(max_fds * sizeof(int)) + CMSG_SPACE(sizeof(ucred)))) {}

void ScmReceiveBuffer::attach(msghdr& msg) {
    msg.msg_control = buf_.data();
    msg.msg_controllen = buf_.size() * sizeof(cmsghdr);
}

ScmReceived take_scm(const msghdr& msg) {
    ScmReceived out;
    out.truncated = (msg.msg_flags & MSG_CTRUNC) != 0;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(const_cast<msghdr*>(&msg), c)) {
        if (c->cmsg_level != SOL_SOCKET) continue;
        if (c->cmsg_type == SCM_RIGHTS) {
            size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            for (size_t i = 0; i < count; ++i) {
                int f;
                std::memcpy(&f, CMSG_DATA(c) + i * sizeof(int), sizeof f);
                out.fds.emplace_back(f);
            }
        } else if (c->cmsg_type == SCM_CREDENTIALS && c->cmsg_len >= CMSG_LEN(sizeof(ucred))) {
            ucred u;
            std::memcpy(&u, CMSG_DATA(c), sizeof u);
            out.creds = u;
        }
    }
    return out;
}

void send_fd(int sock, int fd, std::span<const std::byte> data) {
    iovec iov{const_cast<std::byte*>(data.data()), data.size()};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    ScmControl control(std::span(&fd, 1));
    control.attach(msg);
    while (::sendmsg(sock, &msg, MSG_NOSIGNAL) < 0)
        if (errno != EINTR) throw_errno("sending fd {} over socket {}", fd, sock);
}

std::pair<size_t, UniqueFd> receive_fd(int sock, std::span<std::byte> data) {
    iovec iov{data.data(), data.size()};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    ScmReceiveBuffer control(1);
    control.attach(msg);
    ssize_t n;
    while ((n = ::recvmsg(sock, &msg, MSG_CMSG_CLOEXEC)) < 0)
        if (errno != EINTR) throw_errno("receiving an fd over socket {}", sock);
    ScmReceived got = take_scm(msg);
    UniqueFd fd;
    if (!got.fds.empty()) fd = std::move(got.fds.front());
    return {static_cast<size_t>(n), std::move(fd)};
}

}  // namespace myrt
