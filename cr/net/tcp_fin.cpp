#include "cr/net/tcp_fin.hpp"

#include "util/error.hpp"
#include "util/fd.hpp"

#include <arpa/inet.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <cstring>

namespace myrt::cr::net {

namespace {

struct FinSegment {
    tcphdr th;
    uint8_t opts[12];  // NOP NOP TIMESTAMP, when the connection uses timestamps
};

uint32_t sum16(const void* data, size_t len, uint32_t acc) {
    auto p = static_cast<const uint8_t*>(data);
    for (size_t i = 0; i + 1 < len; i += 2) acc += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
    if (len & 1) acc += static_cast<uint32_t>(p[len - 1] << 8);
    return acc;
}

uint16_t fold(uint32_t acc) {
    while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
    return htons(static_cast<uint16_t>(~acc & 0xffff));
}

bool v4_mapped(const InetAddress& a) {
    static const uint8_t prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    return a.family == AF_INET6 && std::memcmp(a.addr.data(), prefix, 12) == 0;
}

}  // namespace

void deliver_peer_fin(int sock, const InetSocket& s) {
    const std::string who = describe(s);
    const TcpRepairState& t = s.tcp;
    // What the peer acknowledges now: write_seq (the recorded one, nothing has
    // been written since) less what is still unacknowledged. An older number
    // than the socket's snd_una by more than a window would be dropped.
    int outq = 0;
    if (::ioctl(sock, SIOCOUTQ, &outq) < 0) throw_errno("SIOCOUTQ on {}", who);
    uint32_t write_seq = t.snd_seq - (tcp_fin_sent(s.state) ? 1 : 0);  // our FIN is sent after this one
    uint32_t ack = write_seq - static_cast<uint32_t>(outq);

    FinSegment seg{};
    size_t tcp_len = sizeof seg.th;
    seg.th.source = htons(s.remote.port);
    seg.th.dest = htons(s.local.port);
    seg.th.seq = htonl(t.rcv_seq - 1);
    seg.th.ack_seq = htonl(ack);
    seg.th.fin = 1;
    seg.th.ack = 1;
    seg.th.window = htons(static_cast<uint16_t>(std::min<uint32_t>(t.snd_wnd >> t.snd_wscale, 0xffff)));
    if (t.timestamps) {
        // TSval 0: the socket keeps no ts_recent after a repair, and a zero one
        // lets the peer's next timestamp through whatever its clock reads.
        seg.opts[0] = TCPOPT_NOP;
        seg.opts[1] = TCPOPT_NOP;
        seg.opts[2] = TCPOPT_TIMESTAMP;
        seg.opts[3] = TCPOLEN_TIMESTAMP;
        tcp_len += sizeof seg.opts;
    }
    seg.th.doff = static_cast<uint16_t>(tcp_len / 4);

    bool v4 = s.family == AF_INET || v4_mapped(s.local);
    const uint8_t* src = s.remote.addr.data() + (v4 && s.family == AF_INET6 ? 12 : 0);
    const uint8_t* dst = s.local.addr.data() + (v4 && s.family == AF_INET6 ? 12 : 0);
    size_t alen = v4 ? 4 : 16;
    uint32_t acc = sum16(src, alen, 0);
    acc = sum16(dst, alen, acc);
    acc += IPPROTO_TCP + static_cast<uint32_t>(tcp_len);
    acc = sum16(&seg, tcp_len, acc);
    seg.th.check = fold(acc);

    // IPPROTO_RAW: the header is ours (the peer's source address); the kernel
    // fills the IPv4 length, id and checksum.
    uint8_t packet[sizeof(ip6_hdr) + sizeof(FinSegment)] = {};
    size_t len;
    sockaddr_storage to{};
    socklen_t to_len;
    if (v4) {
        auto* ip = reinterpret_cast<iphdr*>(packet);
        ip->version = 4;
        ip->ihl = 5;
        ip->ttl = 64;
        ip->protocol = IPPROTO_TCP;
        std::memcpy(&ip->saddr, src, 4);
        std::memcpy(&ip->daddr, dst, 4);
        std::memcpy(packet + sizeof(iphdr), &seg, tcp_len);
        len = sizeof(iphdr) + tcp_len;
        auto& in = reinterpret_cast<sockaddr_in&>(to);
        in.sin_family = AF_INET;
        std::memcpy(&in.sin_addr, dst, 4);
        to_len = sizeof in;
    } else {
        auto* ip6 = reinterpret_cast<ip6_hdr*>(packet);
        ip6->ip6_flow = htonl(6u << 28);
        ip6->ip6_plen = htons(static_cast<uint16_t>(tcp_len));
        ip6->ip6_nxt = IPPROTO_TCP;
        ip6->ip6_hlim = 64;
        std::memcpy(&ip6->ip6_src, src, 16);
        std::memcpy(&ip6->ip6_dst, dst, 16);
        std::memcpy(packet + sizeof(ip6_hdr), &seg, tcp_len);
        len = sizeof(ip6_hdr) + tcp_len;
        auto& in6 = reinterpret_cast<sockaddr_in6&>(to);
        in6.sin6_family = AF_INET6;
        std::memcpy(&in6.sin6_addr, dst, 16);
        to_len = sizeof in6;
    }
    UniqueFd raw(::socket(v4 ? AF_INET : AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW));
    if (!raw) throw_errno("a raw socket for the peer's FIN of {} (CAP_NET_RAW in the container's network namespace)", who);
    ssize_t n;
    do n = ::sendto(raw.get(), packet, len, 0, reinterpret_cast<sockaddr*>(&to), to_len);
    while (n < 0 && errno == EINTR);
    if (n != static_cast<ssize_t>(len)) throw_errno("sending {} the FIN its peer {} had sent", who, to_string(s.remote));
}

}  // namespace myrt::cr::net
