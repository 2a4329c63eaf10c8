#include "cr/net/tcp_repair.hpp"

#include "cr/net/tcp_fin.hpp"
#include "util/error.hpp"

#include <linux/sockios.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <cstring>

namespace myrt::cr::net {

namespace img = myrt::cr::image;

namespace {

void set_int(int sock, int level, int name, int value, const std::string& who, const char* what) {
    if (::setsockopt(sock, level, name, &value, sizeof value) < 0) throw_errno("setsockopt {} on {}", what, who);
}

int get_int(int sock, int level, int name, const std::string& who, const char* what) {
    int v = 0;
    socklen_t len = sizeof v;
    if (::getsockopt(sock, level, name, &v, &len) < 0) throw_errno("getsockopt {} on {}", what, who);
    return v;
}

int ioctl_int(int sock, unsigned long req, const std::string& who, const char* what) {
    int v = 0;
    if (::ioctl(sock, req, &v) < 0) throw_errno("ioctl {} on {}", what, who);
    return v;
}

// One queue, peeked whole: in repair mode MSG_PEEK reads the queue TCP_REPAIR_QUEUE selects.
std::vector<std::byte> peek_queue(int sock, int queue, size_t len, const std::string& who, const char* what) {
    set_int(sock, IPPROTO_TCP, TCP_REPAIR_QUEUE, queue, who, "TCP_REPAIR_QUEUE");
    std::vector<std::byte> data(len);
    if (len > 0) {
        ssize_t n;
        do n = ::recv(sock, data.data(), len, MSG_PEEK | MSG_DONTWAIT);
        while (n < 0 && errno == EINTR);
        if (n < 0) throw_errno("peeking at the {} queue of {}", what, who);
        // One peek reads every buffer of the queue; less is a queue that changed under us.
        if (static_cast<size_t>(n) != len) fail("{}: its {} queue holds {} bytes, a peek returned {}", who, what, len, n);
    }
    return data;
}

uint32_t queue_seq(int sock, int queue, const std::string& who) {
    set_int(sock, IPPROTO_TCP, TCP_REPAIR_QUEUE, queue, who, "TCP_REPAIR_QUEUE");
    return static_cast<uint32_t>(get_int(sock, IPPROTO_TCP, TCP_QUEUE_SEQ, who, "TCP_QUEUE_SEQ"));
}

void send_all(int sock, std::span<const std::byte> data, const std::string& who, const char* what) {
    size_t off = 0;
    while (off < data.size()) {
        ssize_t n = ::send(sock, data.data() + off, data.size() - off, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) throw_errno("refilling the {} of {} ({} of {} bytes written)", what, who, off, data.size());
        off += static_cast<size_t>(n);
    }
}

}  // namespace

void tcp_repair_on(int sock, const std::string& who) {
    set_int(sock, IPPROTO_TCP, TCP_REPAIR, TCP_REPAIR_ON, who, "TCP_REPAIR (CAP_NET_ADMIN in the socket's network namespace)");
}

void tcp_repair_off(int sock) noexcept {
    int off = TCP_REPAIR_OFF;
    ::setsockopt(sock, IPPROTO_TCP, TCP_REPAIR, &off, sizeof off);
}

TcpRepairState dump_tcp_connection(int sock, uint32_t state, const std::string& who) {
    TcpRepairState t;
    // The receive side can still take segments in repair mode: read it until
    // the sequence number holds still around the peek (the network lock of an
    // external namespace makes the first try the last). SIOCINQ leaves out a
    // received FIN; TCP_QUEUE_SEQ counts it.
    for (int attempt = 0;; ++attempt) {
        uint32_t before = queue_seq(sock, TCP_RECV_QUEUE, who);
        size_t inq = static_cast<size_t>(ioctl_int(sock, SIOCINQ, who, "SIOCINQ"));
        t.recv_queue = peek_queue(sock, TCP_RECV_QUEUE, inq, who, "receive");
        t.rcv_seq = queue_seq(sock, TCP_RECV_QUEUE, who);
        if (t.rcv_seq == before) break;
        if (attempt == 10) fail("{}: data kept arriving while its receive queue was read", who);
    }
    // SIOCOUTQ and SIOCOUTQNSD count our FIN while it is not acknowledged
    // (resp. not sent); it is always the queue's last, and holds no data.
    size_t outq = static_cast<size_t>(ioctl_int(sock, SIOCOUTQ, who, "SIOCOUTQ"));
    size_t unsent = static_cast<size_t>(ioctl_int(sock, SIOCOUTQNSD, who, "SIOCOUTQNSD"));
    if (tcp_fin_sent(state) && !tcp_fin_acked(state)) {
        if (outq == 0) fail("{}: in {} with an empty send queue (no FIN in it)", who, tcp_state_name(state));
        --outq;
        if (unsent > 0) --unsent;
    }
    t.unsent_len = static_cast<uint32_t>(unsent);
    t.send_queue = peek_queue(sock, TCP_SEND_QUEUE, outq, who, "send");
    t.snd_seq = queue_seq(sock, TCP_SEND_QUEUE, who);
    if (t.unsent_len > t.send_queue.size()) fail("{}: {} unsent bytes in a send queue of {}", who, t.unsent_len, t.send_queue.size());
    set_int(sock, IPPROTO_TCP, TCP_REPAIR_QUEUE, TCP_NO_QUEUE, who, "TCP_REPAIR_QUEUE");

    tcp_info info{};
    socklen_t len = sizeof info;
    if (::getsockopt(sock, IPPROTO_TCP, TCP_INFO, &info, &len) < 0) throw_errno("getsockopt TCP_INFO on {}", who);
    t.timestamps = info.tcpi_options & TCPI_OPT_TIMESTAMPS;
    t.sack = info.tcpi_options & TCPI_OPT_SACK;
    t.wscale = info.tcpi_options & TCPI_OPT_WSCALE;
    t.snd_wscale = info.tcpi_snd_wscale;
    t.rcv_wscale = info.tcpi_rcv_wscale;
    t.mss = static_cast<uint32_t>(get_int(sock, IPPROTO_TCP, TCP_MAXSEG, who, "TCP_MAXSEG"));  // mss_clamp in repair mode
    if (t.timestamps) t.timestamp = static_cast<uint32_t>(get_int(sock, IPPROTO_TCP, TCP_TIMESTAMP, who, "TCP_TIMESTAMP"));
    tcp_repair_window w{};
    len = sizeof w;
    if (::getsockopt(sock, IPPROTO_TCP, TCP_REPAIR_WINDOW, &w, &len) < 0) throw_errno("getsockopt TCP_REPAIR_WINDOW on {}", who);
    t.snd_wl1 = w.snd_wl1;
    t.snd_wnd = w.snd_wnd;
    t.max_window = w.max_window;
    t.rcv_wnd = w.rcv_wnd;
    t.rcv_wup = w.rcv_wup;
    return t;
}

void restore_tcp_connection(int sock, const InetSocket& s) {
    const std::string who = describe(s);
    const TcpRepairState& t = s.tcp;
    // A half-closed connection is rebuilt established, its FINs not yet in
    // the sequence space: finish_tcp_connection sends ours again and hands
    // the socket the peer's.
    uint32_t snd_end = t.snd_seq - (tcp_fin_sent(s.state) ? 1 : 0);
    uint32_t rcv_end = t.rcv_seq - (tcp_fin_received(s.state) ? 1 : 0);
    tcp_repair_on(sock, who);
    set_int(sock, IPPROTO_TCP, TCP_REPAIR_QUEUE, TCP_SEND_QUEUE, who, "TCP_REPAIR_QUEUE");
    set_int(sock, IPPROTO_TCP, TCP_QUEUE_SEQ, static_cast<int>(snd_end - static_cast<uint32_t>(t.send_queue.size())), who,
            "TCP_QUEUE_SEQ (send)");
    set_int(sock, IPPROTO_TCP, TCP_REPAIR_QUEUE, TCP_RECV_QUEUE, who, "TCP_REPAIR_QUEUE");
    set_int(sock, IPPROTO_TCP, TCP_QUEUE_SEQ, static_cast<int>(rcv_end - static_cast<uint32_t>(t.recv_queue.size())), who,
            "TCP_QUEUE_SEQ (receive)");
    sockaddr_storage ss{};
    socklen_t len = to_sockaddr(s.local, ss);
    // Repair mode lets the port be shared with the listener it came from.
    if (::bind(sock, reinterpret_cast<sockaddr*>(&ss), len) < 0) throw_errno("bind {} to {}", who, to_string(s.local));
    len = to_sockaddr(s.remote, ss);
    if (::connect(sock, reinterpret_cast<sockaddr*>(&ss), len) < 0) throw_errno("connect {} (repair mode) to {}", who, to_string(s.remote));
    if (t.timestamps) set_int(sock, IPPROTO_TCP, TCP_TIMESTAMP, static_cast<int>(t.timestamp), who, "TCP_TIMESTAMP");
    tcp_repair_opt opts[4];
    unsigned n = 0;
    opts[n++] = {TCPOPT_MAXSEG, t.mss};
    if (t.wscale) opts[n++] = {TCPOPT_WINDOW, t.snd_wscale | (t.rcv_wscale << 16)};
    if (t.sack) opts[n++] = {TCPOPT_SACK_PERMITTED, 0};
    if (t.timestamps) opts[n++] = {TCPOPT_TIMESTAMP, 0};
    if (::setsockopt(sock, IPPROTO_TCP, TCP_REPAIR_OPTIONS, opts, static_cast<socklen_t>(n * sizeof opts[0])) < 0)
        throw_errno("setsockopt TCP_REPAIR_OPTIONS on {}", who);
    // Room for the queues while they are refilled; the recorded sizes are set afterwards.
    int room = static_cast<int>(std::min<size_t>(2 * (t.recv_queue.size() + t.send_queue.size()) + (1u << 20), 1u << 30));
    set_int(sock, SOL_SOCKET, SO_RCVBUFFORCE, room, who, "SO_RCVBUFFORCE");
    set_int(sock, SOL_SOCKET, SO_SNDBUFFORCE, room, who, "SO_SNDBUFFORCE");
    set_int(sock, IPPROTO_TCP, TCP_REPAIR_QUEUE, TCP_RECV_QUEUE, who, "TCP_REPAIR_QUEUE");
    send_all(sock, t.recv_queue, who, "receive queue");
    set_int(sock, IPPROTO_TCP, TCP_REPAIR_QUEUE, TCP_SEND_QUEUE, who, "TCP_REPAIR_QUEUE");
    // Written in repair mode, these count as sent: an acknowledgement may come for them.
    send_all(sock, std::span(t.send_queue).first(t.send_queue.size() - t.unsent_len), who, "send queue");
    set_int(sock, IPPROTO_TCP, TCP_REPAIR_QUEUE, TCP_NO_QUEUE, who, "TCP_REPAIR_QUEUE");
    tcp_repair_window w{t.snd_wl1, t.snd_wnd, t.max_window, t.rcv_wnd, t.rcv_wup};
    // Numbers past the peer's FIN (not received yet, here) are refused: at it.
    auto after = [](uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b) > 0; };
    if (after(w.rcv_wup, rcv_end)) w.rcv_wup = rcv_end;
    if (after(w.snd_wl1, rcv_end)) w.snd_wl1 = rcv_end;
    if (::setsockopt(sock, IPPROTO_TCP, TCP_REPAIR_WINDOW, &w, sizeof w) < 0) throw_errno("setsockopt TCP_REPAIR_WINDOW on {}", who);
}

void finish_tcp_connection(int sock, const InetSocket& s) {
    int off = TCP_REPAIR_OFF;
    if (::setsockopt(sock, IPPROTO_TCP, TCP_REPAIR, &off, sizeof off) < 0) throw_errno("leaving repair mode on {}", describe(s));
    const TcpRepairState& t = s.tcp;
    send_all(sock, std::span(t.send_queue).last(t.unsent_len), describe(s), "unsent part of the send queue");
}

void finish_half_close(int sock, const InetSocket& s) {
    // The peer's FIN first (ESTABLISHED becomes CLOSE_WAIT), then ours
    // (FIN_WAIT1, or LAST_ACK after CLOSE_WAIT), with the sequence number it
    // had: a peer that had it takes it for a retransmission and acknowledges it.
    if (tcp_fin_received(s.state)) deliver_peer_fin(sock, s);
    if (tcp_fin_sent(s.state) && ::shutdown(sock, SHUT_WR) < 0) throw_errno("shutdown(SHUT_WR) of {} (its FIN)", describe(s));
}

}  // namespace myrt::cr::net
