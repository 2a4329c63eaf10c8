#include "runtime/sync_channel.hpp"

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

void SyncChannel::send(SyncMsg m, const std::string& payload) {
    std::vector<char> buf(sizeof(int) + payload.size());
    int v = static_cast<int>(m);
    std::memcpy(buf.data(), &v, sizeof v);
    std::memcpy(buf.data() + sizeof v, payload.data(), payload.size());
    while (::send(fd_.get(), buf.data(), buf.size(), MSG_NOSIGNAL) < 0) {
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
    ssize_t n;
    while ((n = ::recv(fd_.get(), buf.data(), buf.size(), 0)) < 0) {
        if (errno != EINTR) throw_errno("sync channel receive");
    }
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
