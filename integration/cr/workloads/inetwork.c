/* TCP and UDP sockets through checkpoint/restore (cr/net inet kind), over
 * the container's own loopback. Modes:
 *   listen   TCP listeners v4 and v6 (SO_REUSEADDR, SO_REUSEPORT, IPV6_V6ONLY,
 *            TCP_DEFER_ACCEPT), an unbound TCP socket, a bound unconnected one,
 *            an unbound UDP socket; after restore: same names and options, and
 *            each listener accepts a new client that talks to it
 *   udp      bound and connected UDP sockets v4 and v6 with queued datagrams
 *            from several senders; after restore: contents, order and source
 *            addresses, and the connected sockets' peers
 *   tcp      established connections v4 and v6, both ends in the container,
 *            unread data in both directions and a full send queue; after
 *            restore: every byte in order, then the connections carry more
 *   estab    one established connection (for the refusal and --tcp-close)
 *   pending  a listener with two connections from container clients not yet
 *            accepted; after restore both are accepted, oldest first, and talk
 *   early    the same, one client having sent data before accept() (refused)
 *   halfclosed  v4: the client sent data then shutdown(SHUT_WR) (FIN_WAIT2;
 *            the server CLOSE_WAIT, the data unread, and data of its own
 *            unread by the client); v6: the server filled the client's
 *            window, then shutdown(SHUT_WR) (FIN_WAIT1, its FIN not yet sent),
 *            the client's data unread; after restore: the states, every byte
 *            then EOF where a FIN was, EPIPE on the shut side, and the rest of
 *            the close both ways
 *   other KIND  one socket the checkpoint refuses by name: packet (AF_PACKET
 *            SOCK_RAW), netlink (NETLINK_ROUTE, bound), udplite (bound UDP-Lite),
 *            raw (SOCK_RAW ICMP); after the refusal it still works
 *   netcfg   waits for /shared/go (the test configures the namespace), then a
 *            TCP listener on 10.99.0.1:7801 and a UDP socket on [fd00:99::1]:7802,
 *            addresses the test added to lo; after restore: both names, and a
 *            client talks to the listener
 *   hcserver listens on 0.0.0.0:7410 (/shared/listening), accepts one client and
 *            leaves its data and FIN unread (CLOSE_WAIT); at SIGUSR1 reads 1000
 *            bytes of the pattern then EOF, answers 5000 bytes and closes
 *   hcclient ADDR OUT  (run outside) connects to ADDR:7410, sends the 1000 bytes,
 *            shuts down its sending side, then reads the answer to EOF:
 *            "answer 5000 EOF" or "FAIL: ..." (a reset names ECONNRESET) to OUT
 *   server   answers each line "N" on 0.0.0.0:7400 with the same line
 *   client ADDR STOPFILE OUT  (run outside the container) one connection to
 *            ADDR:7400, a request every 10 ms, each answer checked; at STOPFILE
 *            writes "requests N maxgap_ms M" or "FAIL: ..." to OUT
 * /shared/ready when set up; SIGUSR1 checks and writes /shared/result. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "workload.h"

static char why[512];
#define CHECK(cond, ...)                                          \
    do {                                                          \
        if (!(cond)) {                                            \
            if (!why[0]) snprintf(why, sizeof why, __VA_ARGS__);  \
            return -1;                                            \
        }                                                         \
    } while (0)

static void die(const char *what) {
    char buf[300];
    snprintf(buf, sizeof buf, "FAIL: setup: %s: %s\n", what, strerror(errno));
    put_file("/shared/result", buf);
    exit(1);
}

static void verdict(int rc) {
    char buf[600];
    if (rc == 0) snprintf(buf, sizeof buf, "PASS\n");
    else snprintf(buf, sizeof buf, "FAIL: %s\n", why[0] ? why : "unknown");
    put_file("/shared/result", buf);
}

static socklen_t addr_of(struct sockaddr_storage *ss, int family, const char *host, int port) {
    memset(ss, 0, sizeof *ss);
    if (family == AF_INET6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons(port);
        inet_pton(AF_INET6, host, &a->sin6_addr);
        return sizeof *a;
    }
    struct sockaddr_in *a = (struct sockaddr_in *)ss;
    a->sin_family = AF_INET;
    a->sin_port = htons(port);
    inet_pton(AF_INET, host, &a->sin_addr);
    return sizeof *a;
}

static void render(const struct sockaddr_storage *ss, char *out, size_t n) {
    char h[INET6_ADDRSTRLEN] = "?";
    if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
        inet_ntop(AF_INET6, &a->sin6_addr, h, sizeof h);
        snprintf(out, n, "[%s]:%d", h, ntohs(a->sin6_port));
    } else if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
        inet_ntop(AF_INET, &a->sin_addr, h, sizeof h);
        snprintf(out, n, "%s:%d", h, ntohs(a->sin_port));
    } else {
        snprintf(out, n, "(family %d)", ss->ss_family);
    }
}

static void name_of(int s, int peer, char *out, size_t n) {
    struct sockaddr_storage ss;
    socklen_t l = sizeof ss;
    memset(&ss, 0, sizeof ss);
    if ((peer ? getpeername(s, (struct sockaddr *)&ss, &l) : getsockname(s, (struct sockaddr *)&ss, &l)) < 0) {
        snprintf(out, n, "(none)");
        return;
    }
    render(&ss, out, n);
}

static int sock_at(int family, int type, const char *host, int port) {
    int s = socket(family, type, 0);
    if (s < 0) die("socket");
    if (host) {
        struct sockaddr_storage ss;
        socklen_t l = addr_of(&ss, family, host, port);
        if (bind(s, (struct sockaddr *)&ss, l) < 0) die(host);
    }
    return s;
}

static void set_opt(int s, int level, int name, int v) {
    if (setsockopt(s, level, name, &v, sizeof v) < 0) die("setsockopt");
}
static int get_opt(int s, int level, int name) {
    int v = -1;
    socklen_t l = sizeof v;
    if (getsockopt(s, level, name, &v, &l) < 0) return -1000 - errno;
    return v;
}

static void connect_to(int s, int family, const char *host, int port) {
    struct sockaddr_storage ss;
    socklen_t l = addr_of(&ss, family, host, port);
    if (connect(s, (struct sockaddr *)&ss, l) < 0) die("connect");
}

/* A new client on the listener: connect, accept (within 5 s), a word each way. */
static int talk_to_listener(int l, int family, const char *host, int port) {
    int c = socket(family, SOCK_STREAM, 0);
    CHECK(c >= 0, "socket: %s", strerror(errno));
    struct sockaddr_storage ss;
    socklen_t sl = addr_of(&ss, family, host, port);
    CHECK(connect(c, (struct sockaddr *)&ss, sl) == 0, "connect to %s:%d after restore: %s", host, port, strerror(errno));
    CHECK(write(c, "hello", 5) == 5, "write to the new connection");  /* TCP_DEFER_ACCEPT waits for data */
    struct pollfd p = {l, POLLIN, 0};
    CHECK(poll(&p, 1, 5000) == 1, "listener on %s:%d accepted nothing within 5 s", host, port);
    int a = accept(l, NULL, NULL);
    CHECK(a >= 0, "accept on %s:%d: %s", host, port, strerror(errno));
    char buf[8] = {0};
    CHECK(recv(a, buf, 5, MSG_WAITALL) == 5 && !memcmp(buf, "hello", 5), "the new connection's data");
    CHECK(write(a, "world", 5) == 5, "answer");
    CHECK(recv(c, buf, 5, MSG_WAITALL) == 5 && !memcmp(buf, "world", 5), "the answer");
    close(a);
    close(c);
    return 0;
}

/* ---------------- listen ---------------- */
static int l4, l6, tcp_unbound, tcp_bound, udp_unbound, defer_before;
static char l4_name[80], l6_name[80], bound_name[80];

static void setup_listen(void) {
    l4 = socket(AF_INET, SOCK_STREAM, 0);
    set_opt(l4, SOL_SOCKET, SO_REUSEADDR, 1);
    struct sockaddr_storage ss;
    socklen_t sl = addr_of(&ss, AF_INET, "127.0.0.1", 7001);
    if (bind(l4, (struct sockaddr *)&ss, sl) < 0) die("bind 7001");
    set_opt(l4, IPPROTO_TCP, TCP_DEFER_ACCEPT, 5);
    if (listen(l4, 7) < 0) die("listen");
    defer_before = get_opt(l4, IPPROTO_TCP, TCP_DEFER_ACCEPT);
    l6 = socket(AF_INET6, SOCK_STREAM, 0);
    set_opt(l6, SOL_SOCKET, SO_REUSEPORT, 1);
    set_opt(l6, IPPROTO_IPV6, IPV6_V6ONLY, 1);
    sl = addr_of(&ss, AF_INET6, "::", 7002);
    if (bind(l6, (struct sockaddr *)&ss, sl) < 0) die("bind [::]:7002");
    if (listen(l6, 11) < 0) die("listen");
    tcp_unbound = socket(AF_INET, SOCK_STREAM, 0);
    tcp_bound = sock_at(AF_INET6, SOCK_STREAM, "::1", 7003);
    udp_unbound = socket(AF_INET, SOCK_DGRAM, 0);
    name_of(l4, 0, l4_name, sizeof l4_name);
    name_of(l6, 0, l6_name, sizeof l6_name);
    name_of(tcp_bound, 0, bound_name, sizeof bound_name);
}

static int check_listen(void) {
    char n[80];
    name_of(l4, 0, n, sizeof n);
    CHECK(!strcmp(n, l4_name), "v4 listener is %s, was %s", n, l4_name);
    name_of(l6, 0, n, sizeof n);
    CHECK(!strcmp(n, l6_name), "v6 listener is %s, was %s", n, l6_name);
    name_of(tcp_bound, 0, n, sizeof n);
    CHECK(!strcmp(n, bound_name), "bound socket is %s, was %s", n, bound_name);
    name_of(tcp_unbound, 0, n, sizeof n);
    CHECK(!strcmp(n, "0.0.0.0:0"), "unbound TCP socket is now %s", n);
    name_of(udp_unbound, 0, n, sizeof n);
    CHECK(!strcmp(n, "0.0.0.0:0"), "unbound UDP socket is now %s", n);
    CHECK(get_opt(l4, SOL_SOCKET, SO_ACCEPTCONN) == 1, "v4 socket no longer listens");
    CHECK(get_opt(l6, SOL_SOCKET, SO_ACCEPTCONN) == 1, "v6 socket no longer listens");
    CHECK(get_opt(tcp_bound, SOL_SOCKET, SO_ACCEPTCONN) == 0, "bound socket listens");
    CHECK(get_opt(l4, SOL_SOCKET, SO_REUSEADDR) == 1, "SO_REUSEADDR lost");
    CHECK(get_opt(l6, SOL_SOCKET, SO_REUSEPORT) == 1, "SO_REUSEPORT lost");
    CHECK(get_opt(l6, IPPROTO_IPV6, IPV6_V6ONLY) == 1, "IPV6_V6ONLY lost");
    CHECK(get_opt(l4, IPPROTO_TCP, TCP_DEFER_ACCEPT) == defer_before, "TCP_DEFER_ACCEPT %d, was %d",
          get_opt(l4, IPPROTO_TCP, TCP_DEFER_ACCEPT), defer_before);
    CHECK(get_opt(tcp_unbound, SOL_SOCKET, SO_TYPE) == SOCK_STREAM, "unbound TCP socket changed type");
    CHECK(get_opt(udp_unbound, SOL_SOCKET, SO_TYPE) == SOCK_DGRAM, "unbound UDP socket changed type");
    if (talk_to_listener(l4, AF_INET, "127.0.0.1", 7001)) return -1;
    if (talk_to_listener(l6, AF_INET6, "::1", 7002)) return -1;
    /* V6ONLY: a v4 client must not reach the v6 listener. */
    int c = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_storage ss;
    socklen_t sl = addr_of(&ss, AF_INET, "127.0.0.1", 7002);
    CHECK(connect(c, (struct sockaddr *)&ss, sl) < 0 && errno == ECONNREFUSED, "a v4 client reached the V6ONLY listener");
    close(c);
    return 0;
}

/* ---------------- udp ---------------- */
static int ua, ub, uc, ud, ue, uf, ug;
static char ud_name[80];

static void send_to(int s, int family, const char *host, int port, const char *text) {
    struct sockaddr_storage ss;
    socklen_t sl = addr_of(&ss, family, host, port);
    if (sendto(s, text, strlen(text), 0, (struct sockaddr *)&ss, sl) != (ssize_t)strlen(text)) die("sendto");
}

static void setup_udp(void) {
    ua = sock_at(AF_INET, SOCK_DGRAM, "127.0.0.1", 7101);
    ub = sock_at(AF_INET6, SOCK_DGRAM, "::1", 7102);
    uc = sock_at(AF_INET, SOCK_DGRAM, "127.0.0.1", 7103);
    ud = socket(AF_INET, SOCK_DGRAM, 0); /* autobinds on its first send */
    ue = sock_at(AF_INET6, SOCK_DGRAM, "::1", 7104);
    uf = sock_at(AF_INET, SOCK_DGRAM, "127.0.0.1", 7105);
    connect_to(uf, AF_INET, "127.0.0.1", 7101);
    ug = sock_at(AF_INET, SOCK_DGRAM, "127.0.0.1", 7106);
    connect_to(ug, AF_INET, "127.0.0.1", 7103);
    send_to(uc, AF_INET, "127.0.0.1", 7101, "c-one");
    send_to(ud, AF_INET, "127.0.0.1", 7101, "d-one");
    send_to(uc, AF_INET, "127.0.0.1", 7101, "c-two");
    if (send(uf, "f-one", 5, 0) != 5) die("send f");
    send_to(ue, AF_INET6, "::1", 7102, "e-one");
    send_to(ue, AF_INET6, "::1", 7102, "e-two-longer");
    send_to(uc, AF_INET, "127.0.0.1", 7106, "c-to-g");
    struct sockaddr_in da;
    socklen_t dl = sizeof da;
    getsockname(ud, (struct sockaddr *)&da, &dl); /* bound to the wildcard; recvfrom names loopback */
    snprintf(ud_name, sizeof ud_name, "127.0.0.1:%d", ntohs(da.sin_port));
    usleep(100000);
}

static int expect_dgram(int s, const char *text, const char *from) {
    char buf[100] = {0}, n[80];
    struct sockaddr_storage ss;
    socklen_t l = sizeof ss;
    memset(&ss, 0, sizeof ss);
    ssize_t r = recvfrom(s, buf, sizeof buf - 1, MSG_DONTWAIT, (struct sockaddr *)&ss, &l);
    CHECK(r >= 0, "expected datagram \"%s\" from %s: %s", text, from, strerror(errno));
    render(&ss, n, sizeof n);
    CHECK(r == (ssize_t)strlen(text) && !memcmp(buf, text, r), "datagram \"%s\", expected \"%s\"", buf, text);
    CHECK(!strcmp(n, from), "datagram \"%s\" from %s, expected from %s", text, n, from);
    return 0;
}

static int expect_dgram_wait(int s, const char *text, const char *from) {
    struct pollfd p = {s, POLLIN, 0};
    poll(&p, 1, 2000);
    return expect_dgram(s, text, from);
}

static int check_udp(void) {
    if (expect_dgram(ua, "c-one", "127.0.0.1:7103") || expect_dgram(ua, "d-one", ud_name) ||
        expect_dgram(ua, "c-two", "127.0.0.1:7103") || expect_dgram(ua, "f-one", "127.0.0.1:7105") ||
        expect_dgram(ub, "e-one", "[::1]:7104") || expect_dgram(ub, "e-two-longer", "[::1]:7104") ||
        expect_dgram(ug, "c-to-g", "127.0.0.1:7103"))
        return -1;
    char b;
    CHECK(recv(ua, &b, 1, MSG_DONTWAIT) < 0 && errno == EAGAIN, "an extra datagram on 7101");
    char n[80];
    struct sockaddr_in da;
    socklen_t dl = sizeof da;
    getsockname(ud, (struct sockaddr *)&da, &dl);
    snprintf(n, sizeof n, "127.0.0.1:%d", ntohs(da.sin_port));
    CHECK(!strcmp(n, ud_name), "autobound sender is %s, was %s", n, ud_name);
    name_of(uf, 1, n, sizeof n);
    CHECK(!strcmp(n, "127.0.0.1:7101"), "connected socket's peer is %s", n);
    name_of(ug, 1, n, sizeof n);
    CHECK(!strcmp(n, "127.0.0.1:7103"), "connected socket's peer is %s", n);
    /* They still work: f to a, and g takes only its peer's datagrams. */
    CHECK(send(uf, "f-two", 5, 0) == 5, "send on the connected socket: %s", strerror(errno));
    usleep(50000);
    if (expect_dgram(ua, "f-two", "127.0.0.1:7105")) return -1;
    return 0;
}

/* ---------------- tcp ---------------- */
struct conn {
    int client, server, listener;
    long c_sent, s_sent; /* bytes each end wrote */
};
static struct conn conns[2];

static unsigned char pattern(long i, int dir) { return (unsigned char)((i * 7 + dir * 13 + i / 251) & 0xff); }

static void write_pattern(int s, long *sent, long n, int dir, int until_full) {
    unsigned char buf[4096];
    for (;;) {
        if (!until_full && *sent >= n) return;
        size_t want = sizeof buf;
        if (!until_full && (long)want > n - *sent) want = (size_t)(n - *sent);
        for (size_t i = 0; i < want; i++) buf[i] = pattern(*sent + (long)i, dir);
        ssize_t w = send(s, buf, want, MSG_DONTWAIT);
        if (w < 0 && errno == EAGAIN) {
            if (until_full) return;
            usleep(1000);
            continue;
        }
        if (w < 0) die("send");
        *sent += w;
    }
}

static void make_conn(struct conn *c, int family, const char *host, int port, long to_server, long to_client, int full) {
    int l = socket(family, SOCK_STREAM, 0);
    if (family == AF_INET) set_opt(l, SOL_SOCKET, SO_REUSEADDR, 1); /* the v6 listener without it */
    struct sockaddr_storage ss;
    socklen_t sl = addr_of(&ss, family, host, port);
    if (bind(l, (struct sockaddr *)&ss, sl) < 0) die("bind");
    if (listen(l, 1) < 0) die("listen");
    c->client = socket(family, SOCK_STREAM, 0);
    connect_to(c->client, family, host, port);
    c->server = accept(l, NULL, NULL);
    if (c->server < 0) die("accept");
    if (family == AF_INET) close(l);  /* the v6 listener stays: its connection shares its port */
    else c->listener = l;
    set_opt(c->client, IPPROTO_TCP, TCP_NODELAY, 1);
    set_opt(c->server, SOL_SOCKET, SO_KEEPALIVE, 1);
    set_opt(c->server, IPPROTO_TCP, TCP_KEEPIDLE, 77);
    write_pattern(c->server, &c->s_sent, to_client, 1, 0);
    write_pattern(c->client, &c->c_sent, to_server, 0, full);
    usleep(200000);
    if (full) write_pattern(c->client, &c->c_sent, 0, 0, 1); /* fill what the ack freed */
}

static int read_pattern(int s, long n, int dir, const char *what) {
    unsigned char buf[4096];
    long got = 0;
    while (got < n) {
        struct pollfd p = {s, POLLIN, 0};
        CHECK(poll(&p, 1, 10000) == 1, "%s: %ld of %ld bytes, then nothing for 10 s", what, got, n);
        ssize_t r = recv(s, buf, sizeof buf < (size_t)(n - got) ? sizeof buf : (size_t)(n - got), 0);
        CHECK(r > 0, "%s: read gave %zd (%s) after %ld of %ld bytes", what, r, r < 0 ? strerror(errno) : "EOF", got, n);
        for (ssize_t i = 0; i < r; i++)
            CHECK(buf[i] == pattern(got + i, dir), "%s: byte %ld is %u, expected %u", what, got + i, buf[i], pattern(got + i, dir));
        got += r;
    }
    char b;
    CHECK(recv(s, &b, 1, MSG_DONTWAIT) < 0 && errno == EAGAIN, "%s: more bytes than were sent", what);
    return 0;
}

static int check_conn(struct conn *c, const char *what) {
    char w[100];
    snprintf(w, sizeof w, "%s client->server", what);
    if (read_pattern(c->server, c->c_sent, 0, w)) return -1;
    snprintf(w, sizeof w, "%s server->client", what);
    if (read_pattern(c->client, c->s_sent, 1, w)) return -1;
    CHECK(get_opt(c->client, IPPROTO_TCP, TCP_NODELAY) == 1, "%s: TCP_NODELAY lost", what);
    CHECK(get_opt(c->server, IPPROTO_TCP, TCP_KEEPIDLE) == 77, "%s: TCP_KEEPIDLE lost", what);
    /* and the connection carries more, both ways */
    CHECK(write(c->client, "more", 4) == 4, "%s: write after restore", what);
    char buf[8] = {0};
    CHECK(recv(c->server, buf, 4, MSG_WAITALL) == 4 && !memcmp(buf, "more", 4), "%s: data after restore", what);
    CHECK(write(c->server, "back", 4) == 4, "%s: write back after restore", what);
    CHECK(recv(c->client, buf, 4, MSG_WAITALL) == 4 && !memcmp(buf, "back", 4), "%s: answer after restore", what);
    return 0;
}

static void setup_tcp(void) {
    make_conn(&conns[0], AF_INET, "127.0.0.1", 7201, 0, 50000, 1);
    make_conn(&conns[1], AF_INET6, "::1", 7202, 30000, 20000, 0);
    char b[200];
    snprintf(b, sizeof b, "v4 client sent %ld (send queue full), server %ld; v6 %ld and %ld\n", conns[0].c_sent,
             conns[0].s_sent, conns[1].c_sent, conns[1].s_sent);
    put_file("/shared/sizes", b);
}

static int check_tcp(void) {
    if (check_conn(&conns[0], "v4") || check_conn(&conns[1], "v6")) return -1;
    CHECK(get_opt(conns[1].listener, SOL_SOCKET, SO_ACCEPTCONN) == 1, "the v6 listener no longer listens");
    if (talk_to_listener(conns[1].listener, AF_INET6, "::1", 7202)) return -1;
    return 0;
}

/* ---------------- estab: one connection, for the refusal and --tcp-close ---------------- */
static void setup_estab(void) { make_conn(&conns[0], AF_INET, "127.0.0.1", 7301, 100, 100, 0); }
static int check_estab(void) { return check_conn(&conns[0], "v4"); }
/* After --tcp-close: the sockets exist, closed (no peer). */
static int check_closed(void) {
    char n[80];
    name_of(conns[0].client, 1, n, sizeof n);
    CHECK(!strcmp(n, "(none)"), "the client socket still has a peer %s after --tcp-close", n);
    CHECK(get_opt(conns[0].client, SOL_SOCKET, SO_TYPE) == SOCK_STREAM, "the client socket is not a TCP socket");
    CHECK(get_opt(conns[0].server, SOL_SOCKET, SO_TYPE) == SOCK_STREAM, "the server socket is not a TCP socket");
    return 0;
}

/* ---------------- pending: connections not yet accepted ---------------- */
static int pl, pc[2], pending_early;
static char pc_name[2][80];
static void setup_pending(int early) {
    pl = sock_at(AF_INET, SOCK_STREAM, "127.0.0.1", 7501);
    if (listen(pl, 5) < 0) die("listen");
    for (int i = 0; i < 2; i++) {
        pc[i] = socket(AF_INET, SOCK_STREAM, 0);
        connect_to(pc[i], AF_INET, "127.0.0.1", 7501);
        name_of(pc[i], 0, pc_name[i], sizeof pc_name[i]);
    }
    pending_early = early;
    if (early && write(pc[1], "early", 5) != 5) die("early write");
    usleep(100000);
}
static int check_pending(void) {
    for (int i = 0; i < 2; i++) {
        struct pollfd p = {pl, POLLIN, 0};
        CHECK(poll(&p, 1, 5000) == 1, "connection %d not in the accept queue after restore", i);
        int a = accept(pl, NULL, NULL);
        CHECK(a >= 0, "accept: %s", strerror(errno));
        char n[80];
        name_of(a, 1, n, sizeof n);
        CHECK(!strcmp(n, pc_name[i]), "accept %d gave the connection from %s, expected %s", i, n, pc_name[i]);
        char buf[8] = {0};
        if (i == 1 && pending_early)
            CHECK(recv(a, buf, 5, MSG_WAITALL) == 5 && !memcmp(buf, "early", 5), "the data sent before accept()");
        CHECK(write(pc[i], "hi", 2) == 2, "client %d write", i);
        CHECK(recv(a, buf, 2, MSG_WAITALL) == 2 && !memcmp(buf, "hi", 2), "data on accepted connection %d", i);
        CHECK(write(a, "yo", 2) == 2 && recv(pc[i], buf, 2, MSG_WAITALL) == 2 && !memcmp(buf, "yo", 2), "answer on %d", i);
        close(a);
    }
    return 0;
}

/* ---------------- halfclosed: shutdown either way ---------------- */
static struct conn hc[2];

static int tcp_state(int s) {
    struct tcp_info ti;
    socklen_t l = sizeof ti;
    memset(&ti, 0, sizeof ti);
    if (getsockopt(s, IPPROTO_TCP, TCP_INFO, &ti, &l) < 0) return -1;
    return ti.tcpi_state;
}

static const char *state_text(int st) {
    static const char *n[] = {"?", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2", "TIME_WAIT",
                              "CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING"};
    return st >= 0 && st < 12 ? n[st] : "?";
}

/* The state within 3 s (an ACK may still be on its way just after restore). */
static int expect_state(int s, int want, const char *what) {
    for (int i = 0; i < 300 && tcp_state(s) != want; i++) usleep(10000);
    CHECK(tcp_state(s) == want, "%s is %s, expected %s", what, state_text(tcp_state(s)), state_text(want));
    return 0;
}

/* n bytes of the pattern, then end of file. */
static int read_to_eof(int s, long n, int dir, const char *what) {
    unsigned char buf[4096];
    long got = 0;
    for (;;) {
        struct pollfd p = {s, POLLIN, 0};
        CHECK(poll(&p, 1, 10000) == 1, "%s: %ld of %ld bytes, then neither data nor EOF for 10 s", what, got, n);
        ssize_t r = recv(s, buf, sizeof buf, 0);
        CHECK(r >= 0, "%s: read after %ld of %ld bytes: %s", what, got, n, strerror(errno));
        if (r == 0) break;
        for (ssize_t i = 0; i < r; i++)
            CHECK(got + i < n && buf[i] == pattern(got + i, dir), "%s: byte %ld is %u, expected %s", what, got + i, buf[i],
                  got + i < n ? "the pattern" : "EOF");
        got += r;
    }
    CHECK(got == n, "%s: EOF after %ld of %ld bytes", what, got, n);
    return 0;
}

static void setup_halfclosed(void) {
    make_conn(&hc[0], AF_INET, "127.0.0.1", 7601, 3000, 2000, 0);
    if (shutdown(hc[0].client, SHUT_WR) < 0) die("shutdown v4 client");
    make_conn(&hc[1], AF_INET6, "::1", 7602, 1000, 0, 0);
    close(hc[1].listener);
    write_pattern(hc[1].server, &hc[1].s_sent, 0, 1, 1);
    usleep(200000);
    write_pattern(hc[1].server, &hc[1].s_sent, 0, 1, 1); /* fill what the ack freed */
    if (shutdown(hc[1].server, SHUT_WR) < 0) die("shutdown v6 server");
    usleep(100000);
    char b[300];
    snprintf(b, sizeof b, "v4 client %s server %s; v6 server %s (sent %ld) client %s\n", state_text(tcp_state(hc[0].client)),
             state_text(tcp_state(hc[0].server)), state_text(tcp_state(hc[1].server)), hc[1].s_sent,
             state_text(tcp_state(hc[1].client)));
    put_file("/shared/states", b);
}

static int check_halfclosed(void) {
    struct conn *a = &hc[0], *b = &hc[1];
    if (expect_state(a->client, TCP_FIN_WAIT2, "v4 client (shut for writing)") ||
        expect_state(a->server, TCP_CLOSE_WAIT, "v4 server (its peer shut)") ||
        expect_state(b->server, TCP_FIN_WAIT1, "v6 server (shut, its FIN behind a full window)") ||
        expect_state(b->client, TCP_ESTABLISHED, "v6 client"))
        return -1;
    /* v4: the client's bytes then EOF; the server still talks; the client cannot. */
    if (read_to_eof(a->server, a->c_sent, 0, "v4 client->server")) return -1;
    if (read_pattern(a->client, a->s_sent, 1, "v4 server->client")) return -1;
    CHECK(send(a->client, "x", 1, MSG_NOSIGNAL) < 0 && errno == EPIPE, "v4 client could write after its shutdown");
    CHECK(write(a->server, "bye", 3) == 3, "v4 server write after restore: %s", strerror(errno));
    char buf[8] = {0};
    CHECK(recv(a->client, buf, 3, MSG_WAITALL) == 3 && !memcmp(buf, "bye", 3), "v4 server's data after restore");
    CHECK(shutdown(a->server, SHUT_WR) == 0, "v4 server shutdown: %s", strerror(errno));
    struct pollfd p = {a->client, POLLIN, 0};
    CHECK(poll(&p, 1, 5000) == 1 && recv(a->client, buf, 1, 0) == 0, "v4 client sees no EOF after the server's shutdown");
    /* v6: the client reads the full window and the FIN behind it; its own data still flows. */
    if (read_to_eof(b->client, b->s_sent, 1, "v6 server->client")) return -1;
    if (expect_state(b->server, TCP_FIN_WAIT2, "v6 server once its FIN is acknowledged")) return -1;
    if (read_pattern(b->server, b->c_sent, 0, "v6 client->server")) return -1;
    CHECK(write(b->client, "more", 4) == 4, "v6 client write after restore: %s", strerror(errno));
    CHECK(recv(b->server, buf, 4, MSG_WAITALL) == 4 && !memcmp(buf, "more", 4), "v6 client's data after restore");
    CHECK(shutdown(b->client, SHUT_WR) == 0, "v6 client shutdown");
    p.fd = b->server;
    CHECK(poll(&p, 1, 5000) == 1 && recv(b->server, buf, 1, 0) == 0, "v6 server sees no EOF after the client's shutdown");
    return 0;
}

/* ---------------- other: sockets the checkpoint refuses ---------------- */
static int other_sock;
static const char *other_kind;

static void setup_other(const char *kind) {
    other_kind = kind;
    if (!strcmp(kind, "packet")) {
        other_sock = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
    } else if (!strcmp(kind, "netlink")) {
        other_sock = socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
        struct sockaddr_nl nl = {.nl_family = AF_NETLINK};
        if (other_sock >= 0 && bind(other_sock, (struct sockaddr *)&nl, sizeof nl) < 0) die("bind netlink");
    } else if (!strcmp(kind, "udplite")) {
        other_sock = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDPLITE);
        struct sockaddr_storage ss;
        socklen_t l = addr_of(&ss, AF_INET, "127.0.0.1", 7701);
        if (other_sock >= 0 && bind(other_sock, (struct sockaddr *)&ss, l) < 0) die("bind udplite");
    } else if (!strcmp(kind, "raw")) {
        other_sock = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
    } else {
        errno = EINVAL;
        die(kind);
    }
    if (other_sock < 0) die("socket");
}

static int check_other(void) {
    if (!strcmp(other_kind, "netlink")) {
        /* A route request still answered. */
        struct {
            struct nlmsghdr h;
            struct rtgenmsg g;
        } req = {{sizeof req, RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, 1, 0}, {AF_UNSPEC}};
        CHECK(send(other_sock, &req, sizeof req, 0) == sizeof req, "netlink send: %s", strerror(errno));
        char buf[8192];
        CHECK(recv(other_sock, buf, sizeof buf, 0) > 0, "netlink recv: %s", strerror(errno));
    } else if (!strcmp(other_kind, "udplite")) {
        struct sockaddr_storage ss;
        socklen_t l = addr_of(&ss, AF_INET, "127.0.0.1", 7701);
        CHECK(sendto(other_sock, "lite", 4, 0, (struct sockaddr *)&ss, l) == 4, "udplite sendto: %s", strerror(errno));
        char buf[8] = {0};
        struct pollfd p = {other_sock, POLLIN, 0};
        CHECK(poll(&p, 1, 2000) == 1 && recv(other_sock, buf, 4, 0) == 4 && !memcmp(buf, "lite", 4), "udplite datagram to itself");
    } else {
        CHECK(get_opt(other_sock, SOL_SOCKET, SO_TYPE) == SOCK_RAW, "the %s socket is no longer SOCK_RAW", other_kind);
    }
    return 0;
}

/* ---------------- netcfg: sockets on addresses of the namespace's config ---------------- */
static int nc_l, nc_u;
static void setup_netcfg(void) {
    while (access("/shared/go", F_OK) != 0) usleep(20000);
    nc_l = sock_at(AF_INET, SOCK_STREAM, "10.99.0.1", 7801);
    if (listen(nc_l, 4) < 0) die("listen");
    nc_u = sock_at(AF_INET6, SOCK_DGRAM, "fd00:99::1", 7802);
}
static int check_netcfg(void) {
    char n[80];
    name_of(nc_l, 0, n, sizeof n);
    CHECK(!strcmp(n, "10.99.0.1:7801"), "listener is %s", n);
    name_of(nc_u, 0, n, sizeof n);
    CHECK(!strcmp(n, "[fd00:99::1]:7802"), "UDP socket is %s", n);
    if (talk_to_listener(nc_l, AF_INET, "10.99.0.1", 7801)) return -1;
    send_to(nc_u, AF_INET6, "fd00:99::1", 7802, "self");
    return expect_dgram_wait(nc_u, "self", "[fd00:99::1]:7802");
}

/* ---------------- hcserver / hcclient: a peer outside half-closes ---------------- */
static int hc_conn;
static void setup_hcserver(void) {
    int l = sock_at(AF_INET, SOCK_STREAM, NULL, 0);
    set_opt(l, SOL_SOCKET, SO_REUSEADDR, 1);
    struct sockaddr_storage ss;
    socklen_t sl = addr_of(&ss, AF_INET, "0.0.0.0", 7410);
    if (bind(l, (struct sockaddr *)&ss, sl) < 0) die("bind 7410");
    if (listen(l, 1) < 0) die("listen");
    put_file("/shared/listening", "1\n");
    hc_conn = accept(l, NULL, NULL);
    if (hc_conn < 0) die("accept");
    close(l);
    for (int i = 0; i < 500 && tcp_state(hc_conn) != TCP_CLOSE_WAIT; i++) usleep(10000);
}
static int check_hcserver(void) {
    CHECK(tcp_state(hc_conn) == TCP_CLOSE_WAIT, "server connection is %s, expected CLOSE_WAIT", state_text(tcp_state(hc_conn)));
    if (read_to_eof(hc_conn, 1000, 0, "client->server")) return -1;
    long sent = 0;
    write_pattern(hc_conn, &sent, 5000, 1, 0);
    CHECK(close(hc_conn) == 0, "close");
    return 0;
}
static int hcclient(const char *addr, const char *out) {
    char res[200];
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_storage ss;
    socklen_t sl = addr_of(&ss, AF_INET, addr, 7410);
    if (connect(s, (struct sockaddr *)&ss, sl) < 0) { perror("connect"); return 1; }
    long sent = 0;
    write_pattern(s, &sent, 1000, 0, 0);
    if (shutdown(s, SHUT_WR) < 0) { perror("shutdown"); return 1; }
    unsigned char buf[4096];
    long got = 0;
    for (;;) {
        struct pollfd p = {s, POLLIN, 0};
        if (poll(&p, 1, 120000) != 1) { snprintf(res, sizeof res, "FAIL: no answer for 120 s after %ld bytes\n", got); break; }
        ssize_t r = recv(s, buf, sizeof buf, 0);
        if (r < 0) { snprintf(res, sizeof res, "FAIL: after %ld bytes: %s\n", got, strerror(errno)); break; }
        if (r == 0) { snprintf(res, sizeof res, "answer %ld EOF\n", got); break; }
        for (ssize_t i = 0; i < r; i++)
            if (buf[i] != pattern(got + i, 1)) { snprintf(res, sizeof res, "FAIL: byte %ld of the answer\n", got + i); goto done; }
        got += r;
    }
done:;
    FILE *f = fopen(out, "w");
    if (f) fputs(res, f), fclose(f);
    return 0;
}

/* ---------------- server / client across a veth ---------------- */
static void run_server(void) {
    int l = sock_at(AF_INET, SOCK_STREAM, NULL, 0);
    set_opt(l, SOL_SOCKET, SO_REUSEADDR, 1);
    struct sockaddr_storage ss;
    socklen_t sl = addr_of(&ss, AF_INET, "0.0.0.0", 7400);
    if (bind(l, (struct sockaddr *)&ss, sl) < 0) die("bind 7400");
    if (listen(l, 4) < 0) die("listen");
    put_file("/shared/ready", "READY\n");
    int c = accept(l, NULL, NULL);
    if (c < 0) die("accept");
    char line[64];
    size_t len = 0;
    for (;;) {
        ssize_t r = recv(c, line + len, 1, 0);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) die("the client went away");
        if (line[len] == '\n' || ++len == sizeof line - 1) {
            if (line[len] == '\n') len++;
            if (write(c, line, len) != (ssize_t)len) die("answer");
            len = 0;
        }
    }
}

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int client(const char *addr, const char *stop, const char *out) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_storage ss;
    socklen_t sl = addr_of(&ss, AF_INET, addr, 7400);
    if (connect(s, (struct sockaddr *)&ss, sl) < 0) { perror("connect"); return 1; }
    set_opt(s, IPPROTO_TCP, TCP_NODELAY, 1);
    long n = 0;
    double last = now_ms(), maxgap = 0;
    char res[300];
    FILE *f;
    for (;; n++) {
        if (access(stop, F_OK) == 0) break;
        char req[32], ans[32];
        int len = snprintf(req, sizeof req, "%ld\n", n);
        if (write(s, req, len) != len) { snprintf(res, sizeof res, "FAIL: request %ld: write: %s\n", n, strerror(errno)); goto done; }
        int got = 0;
        while (got < len) {
            struct pollfd p = {s, POLLIN, 0};
            if (poll(&p, 1, 60000) != 1) { snprintf(res, sizeof res, "FAIL: request %ld: no answer for 60 s\n", n); goto done; }
            ssize_t r = recv(s, ans + got, len - got, 0);
            if (r <= 0) {
                snprintf(res, sizeof res, "FAIL: request %ld: %s\n", n, r < 0 ? strerror(errno) : "the server closed (EOF)");
                goto done;
            }
            got += r;
        }
        if (memcmp(ans, req, len)) { snprintf(res, sizeof res, "FAIL: request %ld answered with %.*s\n", n, len - 1, ans); goto done; }
        double t = now_ms();
        if (t - last > maxgap) maxgap = t - last;
        last = t;
        usleep(10000);
    }
    char extra;
    if (recv(s, &extra, 1, MSG_DONTWAIT) > 0) snprintf(res, sizeof res, "FAIL: an answer nobody asked for\n");
    else snprintf(res, sizeof res, "requests %ld maxgap_ms %.0f\n", n, maxgap);
done:
    f = fopen(out, "w");
    if (f) fputs(res, f), fclose(f);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    if (!strcmp(argv[1], "client") && argc == 5) return client(argv[2], argv[3], argv[4]);
    if (!strcmp(argv[1], "server")) run_server();
    if (!strcmp(argv[1], "hcclient") && argc == 4) return hcclient(argv[2], argv[3]);
    install_usr1();
    signal(SIGPIPE, SIG_IGN);
    const char *mode = argv[1];
    int (*verify)(void) = NULL;
    if (!strcmp(mode, "listen")) setup_listen(), verify = check_listen;
    else if (!strcmp(mode, "udp")) setup_udp(), verify = check_udp;
    else if (!strcmp(mode, "tcp")) setup_tcp(), verify = check_tcp;
    else if (!strcmp(mode, "estab")) setup_estab(), verify = check_estab;
    else if (!strcmp(mode, "pending")) setup_pending(0), verify = check_pending;
    else if (!strcmp(mode, "early")) setup_pending(1), verify = check_pending;
    else if (!strcmp(mode, "closed")) setup_estab(), verify = check_closed;
    else if (!strcmp(mode, "hcserver")) setup_hcserver(), verify = check_hcserver;
    else if (!strcmp(mode, "netcfg")) setup_netcfg(), verify = check_netcfg;
    else if (!strcmp(mode, "halfclosed")) setup_halfclosed(), verify = check_halfclosed;
    else if (!strcmp(mode, "other") && argc == 3) setup_other(argv[2]), verify = check_other;
    else return 2;
    put_file("/shared/ready", "READY\n");
    for (;;) {
        while (!got_usr1) pause();
        got_usr1 = 0;
        verdict(verify());
    }
}
