#include "cr/net/inet_table.hpp"

#include "util/error.hpp"

#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <set>

namespace myrt::cr::net {

namespace img = myrt::cr::image;

namespace {

// A table or queue bigger than these is not a container's: the image is hostile.
constexpr uint32_t max_table = 1u << 16;
constexpr uint32_t max_datagrams = 1u << 16;
constexpr uint64_t max_queue_bytes = 64ull << 20;

#define OPT(level, name) level, name, #name
const std::vector<InetOptionInfo> socket_options = {
    {OPT(SOL_SOCKET, SO_REUSEADDR), false, false, true, false},
    {OPT(SOL_SOCKET, SO_REUSEPORT), false, false, true, false},
    {OPT(SOL_SOCKET, SO_KEEPALIVE), false, false, false, false},
    {OPT(SOL_SOCKET, SO_BROADCAST), false, false, false, false},
    {OPT(SOL_SOCKET, SO_OOBINLINE), false, false, false, false},
    {OPT(SOL_SOCKET, SO_PRIORITY), false, false, false, false},
    {OPT(SOL_SOCKET, SO_MARK), false, false, false, false},
    {OPT(SOL_SOCKET, SO_LINGER), false, false, false, false},
    {OPT(SOL_SOCKET, SO_RCVLOWAT), false, false, false, false},
    {OPT(IPPROTO_TCP, TCP_NODELAY), true, false, false, false},
    {OPT(IPPROTO_TCP, TCP_CORK), true, false, false, true},
    {OPT(IPPROTO_TCP, TCP_KEEPIDLE), true, false, false, false},
    {OPT(IPPROTO_TCP, TCP_KEEPINTVL), true, false, false, false},
    {OPT(IPPROTO_TCP, TCP_KEEPCNT), true, false, false, false},
    {OPT(IPPROTO_TCP, TCP_DEFER_ACCEPT), true, false, false, false},
    {OPT(IPPROTO_TCP, TCP_USER_TIMEOUT), true, false, false, false},
    {OPT(IPPROTO_TCP, TCP_NOTSENT_LOWAT), true, false, false, false},
    {OPT(IPPROTO_TCP, TCP_LINGER2), true, false, false, false},
    {OPT(IPPROTO_TCP, TCP_SYNCNT), true, false, false, false},
    {OPT(IPPROTO_TCP, TCP_FASTOPEN), true, false, false, false},
    {OPT(IPPROTO_UDP, UDP_CORK), false, true, false, true},
};
const std::vector<InetOptionInfo> ipv4_options = {
    {OPT(IPPROTO_IP, IP_TOS), false, false, false, false},
    {OPT(IPPROTO_IP, IP_TTL), false, false, false, false},
    {OPT(IPPROTO_IP, IP_FREEBIND), false, false, true, false},
    {OPT(IPPROTO_IP, IP_TRANSPARENT), false, false, true, false},
    {OPT(IPPROTO_IP, IP_PKTINFO), false, false, false, false},
    {OPT(IPPROTO_IP, IP_RECVTOS), false, false, false, false},
    {OPT(IPPROTO_IP, IP_RECVTTL), false, false, false, false},
    {OPT(IPPROTO_IP, IP_RECVERR), false, false, false, false},
    {OPT(IPPROTO_IP, IP_MTU_DISCOVER), false, false, false, false},
    {OPT(IPPROTO_IP, IP_MULTICAST_TTL), false, true, false, false},
    {OPT(IPPROTO_IP, IP_MULTICAST_LOOP), false, true, false, false},
};
const std::vector<InetOptionInfo> ipv6_options = {
    {OPT(IPPROTO_IPV6, IPV6_V6ONLY), false, false, true, false},
    {OPT(IPPROTO_IPV6, IPV6_TCLASS), false, false, false, false},
    {OPT(IPPROTO_IPV6, IPV6_UNICAST_HOPS), false, false, false, false},
    {OPT(IPPROTO_IPV6, IPV6_FREEBIND), false, false, true, false},
    {OPT(IPPROTO_IPV6, IPV6_TRANSPARENT), false, false, true, false},
    {OPT(IPPROTO_IPV6, IPV6_RECVPKTINFO), false, false, false, false},
    {OPT(IPPROTO_IPV6, IPV6_RECVERR), false, false, false, false},
    {OPT(IPPROTO_IPV6, IPV6_MTU_DISCOVER), false, false, false, false},
    {OPT(IPPROTO_IPV6, IPV6_MULTICAST_HOPS), false, true, false, false},
    {OPT(IPPROTO_IPV6, IPV6_MULTICAST_LOOP), false, true, false, false},
};
#undef OPT

std::vector<InetOptionInfo> joined(const std::vector<InetOptionInfo>& a, const std::vector<InetOptionInfo>& b) {
    std::vector<InetOptionInfo> out = a;
    out.insert(out.end(), b.begin(), b.end());
    return out;
}

void put_address(const InetAddress& a, uint8_t* addr, uint16_t& port) {
    std::memcpy(addr, a.addr.data(), 16);
    port = a.port;
}

InetAddress get_address(uint32_t family, const uint8_t* addr, uint16_t port) {
    InetAddress a;
    a.family = static_cast<uint16_t>(family);
    std::memcpy(a.addr.data(), addr, 16);
    a.port = port;
    return a;
}

}  // namespace

bool InetAddress::any() const {
    size_t n = family == AF_INET ? 4 : 16;
    return std::all_of(addr.begin(), addr.begin() + static_cast<long>(n), [](uint8_t b) { return b == 0; });
}

std::string host_string(const InetAddress& a) {
    char buf[INET6_ADDRSTRLEN] = {};
    if (!::inet_ntop(a.family == AF_INET6 ? AF_INET6 : AF_INET, a.addr.data(), buf, sizeof buf)) return "?";
    return buf;
}

std::string to_string(const InetAddress& a) {
    return a.family == AF_INET6 ? fmt::format("[{}]:{}", host_string(a), a.port) : fmt::format("{}:{}", host_string(a), a.port);
}

InetAddress from_sockaddr(const sockaddr_storage& ss) {
    InetAddress a;
    if (ss.ss_family == AF_INET) {
        auto& in = reinterpret_cast<const sockaddr_in&>(ss);
        a.family = AF_INET;
        std::memcpy(a.addr.data(), &in.sin_addr, 4);
        a.port = ntohs(in.sin_port);
    } else if (ss.ss_family == AF_INET6) {
        auto& in6 = reinterpret_cast<const sockaddr_in6&>(ss);
        a.family = AF_INET6;
        std::memcpy(a.addr.data(), &in6.sin6_addr, 16);
        a.port = ntohs(in6.sin6_port);
    }
    return a;
}

socklen_t to_sockaddr(const InetAddress& a, sockaddr_storage& ss) {
    ss = {};
    if (a.family == AF_INET6) {
        auto& in6 = reinterpret_cast<sockaddr_in6&>(ss);
        in6.sin6_family = AF_INET6;
        std::memcpy(&in6.sin6_addr, a.addr.data(), 16);
        in6.sin6_port = htons(a.port);
        return sizeof in6;
    }
    auto& in = reinterpret_cast<sockaddr_in&>(ss);
    in.sin_family = AF_INET;
    std::memcpy(&in.sin_addr, a.addr.data(), 4);
    in.sin_port = htons(a.port);
    return sizeof in;
}

const char* tcp_state_name(uint32_t state) {
    static const char* names[] = {"?",         "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2", "TIME_WAIT",
                                  "CLOSE",     "CLOSE_WAIT",  "LAST_ACK", "LISTEN",   "CLOSING",   "NEW_SYN_RECV"};
    return state < std::size(names) ? names[state] : "?";
}

bool tcp_connection_state(uint32_t state) {
    return state == TCP_ESTABLISHED || tcp_fin_sent(state) || tcp_fin_received(state);
}
bool tcp_fin_sent(uint32_t state) {
    return state == TCP_FIN_WAIT1 || state == TCP_FIN_WAIT2 || state == TCP_CLOSING || state == TCP_LAST_ACK;
}
bool tcp_fin_acked(uint32_t state) { return state == TCP_FIN_WAIT2; }
bool tcp_fin_received(uint32_t state) { return state == TCP_CLOSE_WAIT || state == TCP_CLOSING || state == TCP_LAST_ACK; }

std::string describe(const InetSocket& s) {
    std::string proto = s.tcp_socket() ? "TCP" : "UDP";
    if (s.family == AF_INET6) proto += "v6";
    std::string out = fmt::format("{} socket:[{}]", proto, s.id);
    if (s.has(img::inet_flag_bound)) out += " " + to_string(s.local);
    if (s.has(img::inet_flag_connected)) out += " -> " + to_string(s.remote);
    return out;
}

const std::vector<InetOptionInfo>& inet_options_for(uint32_t family) {
    static const std::vector<InetOptionInfo> v4 = joined(socket_options, ipv4_options);
    static const std::vector<InetOptionInfo> v6 = joined(socket_options, ipv6_options);
    return family == AF_INET6 ? v6 : v4;
}

const InetOptionInfo* find_inet_option(uint32_t family, int level, int name) {
    for (const auto& o : inet_options_for(family))
        if (o.level == level && o.name == name) return &o;
    return nullptr;
}

void write_inet_table(const InetTable& table, uint64_t objref, img::RecordWriter& w) {
    for (const InetSocket& s : table) {
        img::InetSocketRecord rec{};
        rec.id = s.id;
        rec.listener_id = s.listener_id;
        rec.family = s.family;
        rec.type = s.type;
        rec.protocol = s.protocol;
        rec.state = s.state;
        rec.flags = s.flags;
        rec.shutdown = s.shutdown;
        rec.backlog = s.backlog;
        rec.sndbuf = s.sndbuf;
        rec.rcvbuf = s.rcvbuf;
        rec.rcvtimeo_us = s.rcvtimeo_us;
        rec.sndtimeo_us = s.sndtimeo_us;
        put_address(s.local, rec.local_addr, rec.local_port);
        put_address(s.remote, rec.remote_addr, rec.remote_port);
        if (s.options.size() > img::inet_max_options) fail("{}: {} options, over {}", describe(s), s.options.size(), img::inet_max_options);
        rec.nr_options = static_cast<uint32_t>(s.options.size());
        std::copy(s.options.begin(), s.options.end(), rec.options);
        const TcpRepairState& t = s.tcp;
        rec.snd_seq = t.snd_seq;
        rec.rcv_seq = t.rcv_seq;
        rec.send_len = static_cast<uint32_t>(t.send_queue.size());
        rec.unsent_len = t.unsent_len;
        rec.recv_len = static_cast<uint32_t>(t.recv_queue.size());
        rec.mss = t.mss;
        rec.snd_wscale = t.snd_wscale;
        rec.rcv_wscale = t.rcv_wscale;
        rec.timestamp = t.timestamp;
        rec.snd_wl1 = t.snd_wl1;
        rec.snd_wnd = t.snd_wnd;
        rec.max_window = t.max_window;
        rec.rcv_wnd = t.rcv_wnd;
        rec.rcv_wup = t.rcv_wup;
        // Messages: the TCP queues in chunks of at most one BUFFER, then the datagrams.
        std::vector<std::pair<uint32_t, std::span<const std::byte>>> chunks;
        for (auto [queue, data] : {std::pair{img::inet_queue_recv, &t.recv_queue}, std::pair{img::inet_queue_send, &t.send_queue}})
            for (size_t off = 0; off < data->size(); off += img::max_buffer_len)
                chunks.emplace_back(queue, std::span(*data).subspan(off, std::min<size_t>(img::max_buffer_len, data->size() - off)));
        rec.nr_messages = static_cast<uint32_t>(chunks.size() + s.datagrams.size());
        w.write<img::RecordType::inet_socket>(rec, objref);
        for (auto& [queue, data] : chunks) {
            img::InetMessageRecord mr{};
            mr.len = data.size();
            mr.queue = queue;
            w.write<img::RecordType::inet_message>(mr, objref);
            w.write_buffer(data, objref);
        }
        for (const InetMessage& m : s.datagrams) {
            img::InetMessageRecord mr{};
            mr.len = m.data.size();
            mr.queue = img::inet_queue_recv;
            mr.sender_family = m.sender.family;
            put_address(m.sender, mr.sender_addr, mr.sender_port);
            w.write<img::RecordType::inet_message>(mr, objref);
            w.write_buffer(m.data, objref);
        }
    }
}

InetTable read_inet_table(img::RecordReader& r, uint64_t objref, uint32_t count) {
    if (count > max_table) r.fail_at("INET_FILE objref {}: a table of {} sockets", objref, count);
    InetTable table;
    std::set<uint64_t> ids;
    for (uint32_t i = 0; i < count; ++i) {
        img::RecordHeader h{};
        auto rec = r.expect<img::RecordType::inet_socket>(&h);
        if (h.objref != objref) r.fail_at("INET_SOCKET with objref {} in the table of objref {}", h.objref, objref);
        InetSocket s;
        s.id = rec.id;
        if (s.id == 0 || !ids.insert(s.id).second) r.fail_at("INET_SOCKET: id {} is zero or listed twice", s.id);
        if (rec.reserved0 != 0) r.fail_at("INET_SOCKET {}: reserved field is not zero", s.id);
        if (rec.family != AF_INET && rec.family != AF_INET6) r.fail_at("INET_SOCKET {}: family {} is not AF_INET or AF_INET6", s.id, rec.family);
        bool tcp = rec.type == SOCK_STREAM && rec.protocol == IPPROTO_TCP, udp = rec.type == SOCK_DGRAM && rec.protocol == IPPROTO_UDP;
        if (!tcp && !udp) r.fail_at("INET_SOCKET {}: type {} protocol {} is not TCP or UDP", s.id, rec.type, rec.protocol);
        if (rec.flags & ~img::known_inet_flags) r.fail_at("INET_SOCKET {}: unknown flags {:#x}", s.id, rec.flags & ~img::known_inet_flags);
        if (rec.shutdown > 3) r.fail_at("INET_SOCKET {}: shutdown state {}", s.id, rec.shutdown);
        if (rec.backlog > 1u << 20) r.fail_at("INET_SOCKET {}: backlog {}", s.id, rec.backlog);
        if (rec.sndbuf > 1u << 30 || rec.rcvbuf > 1u << 30) r.fail_at("INET_SOCKET {}: buffer sizes {} {}", s.id, rec.sndbuf, rec.rcvbuf);
        if (rec.rcvtimeo_us < 0 || rec.sndtimeo_us < 0) r.fail_at("INET_SOCKET {}: negative timeouts", s.id);
        if (rec.nr_options > img::inet_max_options) r.fail_at("INET_SOCKET {}: {} options", s.id, rec.nr_options);
        if (rec.nr_messages > max_datagrams) r.fail_at("INET_SOCKET {}: {} messages", s.id, rec.nr_messages);
        s.listener_id = rec.listener_id;
        s.family = rec.family;
        s.type = rec.type;
        s.protocol = rec.protocol;
        s.state = rec.state;
        s.flags = rec.flags;
        s.shutdown = rec.shutdown;
        s.backlog = rec.backlog;
        s.sndbuf = rec.sndbuf;
        s.rcvbuf = rec.rcvbuf;
        s.rcvtimeo_us = rec.rcvtimeo_us;
        s.sndtimeo_us = rec.sndtimeo_us;
        s.local = get_address(rec.family, rec.local_addr, rec.local_port);
        s.remote = get_address(rec.family, rec.remote_addr, rec.remote_port);
        if (rec.family == AF_INET &&
            std::any_of(rec.local_addr + 4, rec.local_addr + 16, [](uint8_t b) { return b; }))
            r.fail_at("{}: an IPv4 address with bytes past its 4", describe(s));
        for (uint32_t o = 0; o < rec.nr_options; ++o) {
            const img::InetOption& opt = rec.options[o];
            const InetOptionInfo* info = find_inet_option(s.family, opt.level, opt.name);
            if (!info || (info->tcp_only && !tcp) || (info->udp_only && !udp))
                r.fail_at("{}: option level {} name {} is not one this restore sets", describe(s), opt.level, opt.name);
            s.options.push_back(opt);
        }
        if (tcp) {
            if (!tcp_connection_state(s.state) && s.state != TCP_LISTEN && s.state != TCP_CLOSE)
                r.fail_at("{}: TCP state {} is not ESTABLISHED, half-closed, LISTEN or CLOSE", describe(s), s.state);
        } else if (s.state != TCP_ESTABLISHED && s.state != TCP_CLOSE) {
            r.fail_at("{}: UDP state {}", describe(s), s.state);
        }
        TcpRepairState& t = s.tcp;
        t.snd_seq = rec.snd_seq;
        t.rcv_seq = rec.rcv_seq;
        t.unsent_len = rec.unsent_len;
        t.mss = rec.mss;
        t.snd_wscale = rec.snd_wscale;
        t.rcv_wscale = rec.rcv_wscale;
        t.timestamp = rec.timestamp;
        t.timestamps = s.has(img::inet_flag_timestamps);
        t.sack = s.has(img::inet_flag_sack);
        t.wscale = s.has(img::inet_flag_wscale);
        t.snd_wl1 = rec.snd_wl1;
        t.snd_wnd = rec.snd_wnd;
        t.max_window = rec.max_window;
        t.rcv_wnd = rec.rcv_wnd;
        t.rcv_wup = rec.rcv_wup;
        if (rec.snd_wscale > 14 || rec.rcv_wscale > 14) r.fail_at("{}: window scale {} {}", describe(s), rec.snd_wscale, rec.rcv_wscale);
        if (rec.unsent_len > rec.send_len) r.fail_at("{}: {} unsent bytes of a {} byte send queue", describe(s), rec.unsent_len, rec.send_len);
        if (uint64_t{rec.send_len} + rec.recv_len > max_queue_bytes) r.fail_at("{}: queues over {} bytes", describe(s), max_queue_bytes);
        uint64_t datagram_bytes = 0;
        for (uint32_t m = 0; m < rec.nr_messages; ++m) {
            img::RecordHeader mh{};
            auto mr = r.expect<img::RecordType::inet_message>(&mh);
            if (mh.objref != objref) r.fail_at("INET_MESSAGE with objref {} in the table of objref {}", mh.objref, objref);
            if (mr.reserved != 0) r.fail_at("INET_MESSAGE of {}: reserved field is not zero", describe(s));
            if (mr.len > img::max_buffer_len) r.fail_at("INET_MESSAGE of {}: {} bytes", describe(s), mr.len);
            if (mr.queue != img::inet_queue_recv && mr.queue != img::inet_queue_send) r.fail_at("INET_MESSAGE of {}: queue {}", describe(s), mr.queue);
            auto bh = r.next();
            if (!bh || bh->type != static_cast<uint32_t>(img::RecordType::buffer) || bh->objref != objref)
                r.fail_at("INET_MESSAGE of {}: expected its data in a BUFFER", describe(s));
            auto data = r.read_buffer();
            if (data.size() != mr.len) r.fail_at("INET_MESSAGE of {}: {} bytes announced, {} in the BUFFER", describe(s), mr.len, data.size());
            if (tcp) {
                if (mr.sender_family != 0 || data.empty()) r.fail_at("INET_MESSAGE of {}: a TCP chunk with a sender or no bytes", describe(s));
                auto& q = mr.queue == img::inet_queue_recv ? t.recv_queue : t.send_queue;
                if (mr.queue == img::inet_queue_recv && !t.send_queue.empty()) r.fail_at("INET_MESSAGE of {}: receive queue after the send queue", describe(s));
                q.insert(q.end(), data.begin(), data.end());
                if (q.size() > (mr.queue == img::inet_queue_recv ? rec.recv_len : rec.send_len))
                    r.fail_at("INET_MESSAGE of {}: more queued bytes than the socket record says", describe(s));
            } else {
                if (mr.queue != img::inet_queue_recv || (mr.sender_family != AF_INET && mr.sender_family != AF_INET6))
                    r.fail_at("INET_MESSAGE of {}: a datagram with sender family {}", describe(s), mr.sender_family);
                datagram_bytes += data.size();
                if (datagram_bytes > max_queue_bytes) r.fail_at("{}: over {} bytes of datagrams", describe(s), max_queue_bytes);
                InetMessage msg;
                msg.data = std::move(data);
                msg.sender = get_address(mr.sender_family, mr.sender_addr, mr.sender_port);
                s.datagrams.push_back(std::move(msg));
            }
        }
        if (t.recv_queue.size() != rec.recv_len || t.send_queue.size() != rec.send_len)
            r.fail_at("{}: queues of {} and {} bytes, the record says {} and {}", describe(s), t.recv_queue.size(),
                      t.send_queue.size(), rec.recv_len, rec.send_len);
        table.push_back(std::move(s));
    }
    // States, flags and references that must go together.
    std::map<uint64_t, const InetSocket*> by_id;
    for (const auto& s : table) by_id[s.id] = &s;
    for (const InetSocket& s : table) {
        bool tcp = s.tcp_socket();
        if (s.has(img::inet_flag_connected) != (tcp ? tcp_connection_state(s.state) : s.state == TCP_ESTABLISHED))
            r.fail_at("{}: connected flag and state {} disagree", describe(s), s.state);
        if (s.has(img::inet_flag_connected) && (!s.has(img::inet_flag_bound) || s.remote.port == 0 || s.remote.any()))
            r.fail_at("{}: connected without both addresses", describe(s));
        if (s.state == TCP_LISTEN && (!s.has(img::inet_flag_bound) || s.local.port == 0))
            r.fail_at("{}: listening without a port", describe(s));
        if (s.has(img::inet_flag_bound) && s.local.port == 0) r.fail_at("{}: bound to port 0", describe(s));
        if (s.has(img::inet_flag_repair) && (!tcp || !tcp_connection_state(s.state)))
            r.fail_at("{}: TCP_REPAIR state for a socket that is not an established TCP connection", describe(s));
        if (tcp && s.state != TCP_ESTABLISHED && tcp_connection_state(s.state) && !s.has(img::inet_flag_repair))
            r.fail_at("{}: a half-closed connection ({}) without TCP_REPAIR state", describe(s), tcp_state_name(s.state));
        if (s.has(img::inet_flag_repair) && tcp_fin_acked(s.state) && !s.tcp.send_queue.empty())
            r.fail_at("{}: FIN_WAIT2 with {} bytes in its send queue", describe(s), s.tcp.send_queue.size());
        // A reconnecting client carries in its send queue what it had sent before accept().
        if (!s.has(img::inet_flag_repair) &&
            (!s.tcp.recv_queue.empty() || s.tcp.unsent_len != 0 || (!s.tcp.send_queue.empty() && !s.has(img::inet_flag_reconnect))))
            r.fail_at("{}: TCP queues without TCP_REPAIR state", describe(s));
        if (tcp && tcp_connection_state(s.state) && s.has(img::inet_flag_repair) == s.has(img::inet_flag_reconnect))
            r.fail_at("{}: a TCP connection must be either repaired or reconnected", describe(s));
        if (s.has(img::inet_flag_reconnect)) {
            auto l = by_id.find(s.listener_id);
            if (!tcp || l == by_id.end() || l->second->state != TCP_LISTEN || l->second->family != s.family ||
                l->second->local.port != s.remote.port)
                r.fail_at("{}: reconnects to {}, not a listener of its port", describe(s), s.listener_id);
        } else if (s.listener_id) {
            r.fail_at("{}: names a listener but does not reconnect", describe(s));
        }
        if (s.has(img::inet_flag_locked) && !s.has(img::inet_flag_repair)) r.fail_at("{}: locked but not repaired", describe(s));
        if ((s.flags & (img::inet_flag_timestamps | img::inet_flag_sack | img::inet_flag_wscale)) && !s.has(img::inet_flag_repair))
            r.fail_at("{}: TCP options without TCP_REPAIR state", describe(s));
    }
    return table;
}

}  // namespace myrt::cr::net
