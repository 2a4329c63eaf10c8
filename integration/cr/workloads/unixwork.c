/* Self-checking AF_UNIX socket workloads for the cr/net tests.
 *
 *   unixwork MODE
 *
 * Each mode sets up sockets, writes /shared/ready, waits for SIGUSR1, then
 * checks that the state is intact and writes PASS or "FAIL: why" to
 * /shared/result. Modes:
 *   stream     stream socketpair, path- and abstract-named connections, data
 *              unread in both directions, options (buffers, SO_PASSCRED,
 *              SO_PEEK_OFF, timeouts), names and peer names, a listener
 *              whose path was deleted (the path must stay deleted)
 *   listen     a listener (backlog 8) with two accepted connections (data in
 *              flight) and three pending ones, accepted after restore in order
 *   dgram      an unconnected bound socket with datagrams from three senders
 *              (abstract-named, path-named, unnamed), a datagram socketpair,
 *              a self-connected socket, a connected sender
 *   seqpacket  a seqpacket socketpair and a listener connection, messages both ways
 *   fds        fds in flight (SCM_RIGHTS): a file with its offset, a pipe read
 *              end with data, a socket, three in one stream message between
 *              plain ones; a socket sent over itself; a pipe write end on
 *              seqpacket; two fds of one description in a datagram
 *   creds      SCM_CREDENTIALS: a datagram from an exited child of uid 1000
 *              gid 1001 (with an fd), a stream message from the task
 *   fdsrefused KIND  an fd in flight that stays refused: listener (a listener
 *              held by no task), inet (an AF_INET socket), other (/dev/tty or
 *              a netlink socket)
 *   shutdown   pairs shut down for write, read and both, with data before EOF
 *   inet       an AF_INET UDP-Lite socket: the checkpoint must refuse it by family
 *   loose      sockets nobody is connected to: unconnected seqpacket sockets
 *              (unbound, bound), a bound unconnected datagram socket holding
 *              datagrams from senders that have closed since, an unbound
 *              datagram socket; and a bound socket file chmod'ed and chown'ed
 *              after bind (mode and owner kept)
 *   paths      names whose file moved on: a stream listener and a seqpacket
 *              listener bound to relative names in /tmp/reldir (then chdir /),
 *              a datagram socket whose path was deleted, a listener whose path
 *              is now a FIFO, a datagram socket whose path is now a plain file,
 *              a seqpacket listener whose directory was removed and made again;
 *              names kept, the FIFO, file and new directory left as they are
 *   peergone   messages from peers that closed: a connected datagram socket
 *              holding its closed peer's datagram, a seqpacket pair end holding
 *              two messages of its closed peer (then EOF), a datagram socket
 *              connected to a receiver that closed (send refused)
 *   talk       a server process echoing to a client process over a path socket,
 *              without pause; after SIGUSR1 the exchange must go on
 *   leak       connected to /shared/outside.sock (a peer outside the container);
 *              first SIGUSR1: the peer echoes; later ones (after a restore with
 *              --ext-unix-sk): the peer is gone (EOF)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
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

static void wait_usr1(void) {
    while (!got_usr1) pause();
    got_usr1 = 0;
}

static void verdict(int rc) {
    char buf[600];
    if (rc == 0) snprintf(buf, sizeof buf, "PASS\n");
    else snprintf(buf, sizeof buf, "FAIL: %s\n", why[0] ? why : "unknown");
    put_file("/shared/result", buf);
}

/* --- addresses --- */
static socklen_t mkaddr(struct sockaddr_un *a, const char *name) {
    memset(a, 0, sizeof *a);
    a->sun_family = AF_UNIX;
    if (name[0] == '@') {
        size_t n = strlen(name);
        memcpy(a->sun_path + 1, name + 1, n - 1);
        return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
    }
    strcpy(a->sun_path, name);
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(name) + 1);
}

static int sock_bound(int type, const char *name) {
    int s = socket(AF_UNIX, type, 0);
    if (s < 0) die("socket");
    if (name) {
        struct sockaddr_un a;
        socklen_t l = mkaddr(&a, name);
        if (name[0] != '@') unlink(name);
        if (bind(s, (struct sockaddr *)&a, l) < 0) die(name);
    }
    return s;
}

static void do_connect(int s, const char *name) {
    struct sockaddr_un a;
    socklen_t l = mkaddr(&a, name);
    if (connect(s, (struct sockaddr *)&a, l) < 0) die("connect");
}

/* "@x" for abstract, the path, or "" for unnamed */
static void render(const struct sockaddr_un *a, socklen_t l, char *out, size_t n) {
    if (l <= offsetof(struct sockaddr_un, sun_path)) {
        snprintf(out, n, "%s", "");
        return;
    }
    size_t len = l - offsetof(struct sockaddr_un, sun_path);
    if (a->sun_path[0] == 0) snprintf(out, n, "@%.*s", (int)(len - 1), a->sun_path + 1);
    else snprintf(out, n, "%s", a->sun_path);
}

static int name_is(int s, int peer, const char *want) {
    struct sockaddr_un a;
    socklen_t l = sizeof a;
    int rc = peer ? getpeername(s, (struct sockaddr *)&a, &l) : getsockname(s, (struct sockaddr *)&a, &l);
    char got[200];
    if (rc < 0) snprintf(got, sizeof got, "error %s", strerror(errno));
    else render(&a, l, got, sizeof got);
    CHECK(strcmp(got, want) == 0, "fd %d %s is '%s', want '%s'", s, peer ? "peer name" : "name", got, want);
    return 0;
}

static void send_str(int s, const char *m) {
    if (send(s, m, strlen(m), 0) != (ssize_t)strlen(m)) die("send");
}

/* reads exactly strlen(want) bytes (stream) or one message (dgram/seqpacket) */
static int recv_is(int s, const char *want, const char *what) {
    char buf[70000];
    size_t wl = strlen(want), got = 0;
    for (;;) {
        ssize_t n = recv(s, buf + got, sizeof buf - got, MSG_DONTWAIT);
        CHECK(n >= 0, "%s: recv: %s (got %zu of %zu bytes)", what, strerror(errno), got, wl);
        got += (size_t)n;
        int type = 0;
        socklen_t tl = sizeof type;
        getsockopt(s, SOL_SOCKET, SO_TYPE, &type, &tl);
        if (type != SOCK_STREAM || got >= wl || n == 0) break;
    }
    CHECK(got == wl && memcmp(buf, want, wl) == 0, "%s: got %zu bytes '%.*s', want '%s'", what, got, (int)(got > 60 ? 60 : got), buf,
          want);
    return 0;
}

static int queue_empty(int s, const char *what) {
    char c;
    ssize_t n = recv(s, &c, 1, MSG_DONTWAIT);
    CHECK(n < 0 && errno == EAGAIN, "%s: expected an empty queue, recv gave %zd (%s)", what, n, n < 0 ? strerror(errno) : "data");
    return 0;
}

static int int_opt(int s, int opt) {
    int v = -7;
    socklen_t l = sizeof v;
    getsockopt(s, SOL_SOCKET, opt, &v, &l);
    return v;
}

/* ---------------- stream ---------------- */
static int sp[2], pa_cli, pa_srv, ab_cli, ab_srv, lst_path, lst_abs, del_sock;
static char big[60000];

static void setup_stream(void) {
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) < 0) die("socketpair");
    send_str(sp[0], "to-one");
    send_str(sp[1], "to-zero-1");
    send_str(sp[1], "to-zero-2");
    lst_path = sock_bound(SOCK_STREAM, "/tmp/stream.sock");
    if (listen(lst_path, 4) < 0) die("listen");
    pa_cli = sock_bound(SOCK_STREAM, NULL);
    do_connect(pa_cli, "/tmp/stream.sock");
    pa_srv = accept(lst_path, NULL, NULL);
    for (size_t i = 0; i < sizeof big; i++) big[i] = (char)('a' + (i * 7) % 26);
    big[sizeof big - 1] = 0;
    send_str(pa_cli, big);
    send_str(pa_srv, "server-says-hi");
    lst_abs = sock_bound(SOCK_STREAM, "@myrt-abs-listener");
    if (listen(lst_abs, 2) < 0) die("listen");
    ab_cli = sock_bound(SOCK_STREAM, "@myrt-abs-client");
    do_connect(ab_cli, "@myrt-abs-listener");
    ab_srv = accept(lst_abs, NULL, NULL);
    send_str(ab_srv, "abstract-data");
    /* bound, then its path deleted: the name stays, the path must not come back */
    del_sock = sock_bound(SOCK_STREAM, "/tmp/deleted.sock");
    if (listen(del_sock, 1) < 0) die("listen");
    unlink("/tmp/deleted.sock");
    /* options */
    int v = 50000;
    setsockopt(sp[0], SOL_SOCKET, SO_SNDBUF, &v, sizeof v);
    v = 70000;
    setsockopt(sp[0], SOL_SOCKET, SO_RCVBUF, &v, sizeof v);
    v = 1;
    setsockopt(sp[1], SOL_SOCKET, SO_PASSCRED, &v, sizeof v);
    v = 3;
    setsockopt(ab_cli, SOL_SOCKET, SO_PEEK_OFF, &v, sizeof v);
    struct timeval tv = {2, 500000};
    setsockopt(pa_srv, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    tv.tv_sec = 3;
    tv.tv_usec = 0;
    setsockopt(pa_srv, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

static int check_stream(void) {
    CHECK(int_opt(sp[0], SO_SNDBUF) == 100000, "SO_SNDBUF %d", int_opt(sp[0], SO_SNDBUF));
    CHECK(int_opt(sp[0], SO_RCVBUF) == 140000, "SO_RCVBUF %d", int_opt(sp[0], SO_RCVBUF));
    CHECK(int_opt(sp[1], SO_PASSCRED) == 1 && int_opt(sp[0], SO_PASSCRED) == 0, "SO_PASSCRED");
    CHECK(int_opt(ab_cli, SO_PEEK_OFF) == 3, "SO_PEEK_OFF %d", int_opt(ab_cli, SO_PEEK_OFF));
    struct timeval tv;
    socklen_t l = sizeof tv;
    getsockopt(pa_srv, SOL_SOCKET, SO_RCVTIMEO, &tv, &l);
    CHECK(tv.tv_sec == 2 && tv.tv_usec == 500000, "SO_RCVTIMEO %ld.%06ld", (long)tv.tv_sec, (long)tv.tv_usec);
    getsockopt(pa_srv, SOL_SOCKET, SO_SNDTIMEO, &tv, &l);
    CHECK(tv.tv_sec == 3 && tv.tv_usec == 0, "SO_SNDTIMEO");
    if (name_is(sp[0], 0, "") || name_is(sp[0], 1, "")) return -1;
    if (name_is(pa_cli, 0, "") || name_is(pa_cli, 1, "/tmp/stream.sock")) return -1;
    if (name_is(pa_srv, 0, "/tmp/stream.sock") || name_is(pa_srv, 1, "")) return -1;
    if (name_is(ab_cli, 0, "@myrt-abs-client") || name_is(ab_cli, 1, "@myrt-abs-listener")) return -1;
    if (name_is(ab_srv, 0, "@myrt-abs-listener") || name_is(ab_srv, 1, "@myrt-abs-client")) return -1;
    if (name_is(lst_path, 0, "/tmp/stream.sock")) return -1;
    if (name_is(del_sock, 0, "/tmp/deleted.sock")) return -1;
    struct stat sb;
    CHECK(lstat("/tmp/deleted.sock", &sb) < 0, "the deleted socket path came back");
    CHECK(lstat("/tmp/stream.sock", &sb) == 0 && S_ISSOCK(sb.st_mode), "the bound path /tmp/stream.sock is gone");
    if (recv_is(sp[1], "to-one", "pair 0->1")) return -1;
    if (recv_is(sp[0], "to-zero-1to-zero-2", "pair 1->0")) return -1;
    if (recv_is(pa_srv, big, "path connection client->server")) return -1;
    if (recv_is(pa_cli, "server-says-hi", "path connection server->client")) return -1;
    int off = 0;
    setsockopt(ab_cli, SOL_SOCKET, SO_PEEK_OFF, &off, sizeof off);
    if (recv_is(ab_cli, "abstract-data", "abstract connection")) return -1;
    if (queue_empty(sp[0], "pair end 0") || queue_empty(sp[1], "pair end 1")) return -1;
    /* still connected both ways */
    send_str(sp[0], "after");
    if (recv_is(sp[1], "after", "pair after restore")) return -1;
    send_str(ab_srv, "after2");
    if (recv_is(ab_cli, "after2", "abstract after restore")) return -1;
    /* listeners still accept */
    int c = sock_bound(SOCK_STREAM, NULL);
    do_connect(c, "/tmp/stream.sock");
    int a = accept(lst_path, NULL, NULL);
    CHECK(a >= 0, "accept after restore: %s", strerror(errno));
    send_str(c, "new");
    if (recv_is(a, "new", "new connection")) return -1;
    return 0;
}

/* ---------------- listen ---------------- */
static int lsn, cli[5], acc[2];

static void setup_listen(void) {
    lsn = sock_bound(SOCK_STREAM, "/tmp/listen.sock");
    if (listen(lsn, 8) < 0) die("listen");
    for (int i = 0; i < 5; i++) {
        char name[32];
        snprintf(name, sizeof name, "@myrt-client-%d", i);
        cli[i] = sock_bound(SOCK_STREAM, name);
        do_connect(cli[i], "/tmp/listen.sock");
        if (i < 2) {
            acc[i] = accept(lsn, NULL, NULL);
            if (acc[i] < 0) die("accept");
            char m[32];
            snprintf(m, sizeof m, "from-client-%d", i);
            send_str(cli[i], m);
            snprintf(m, sizeof m, "to-client-%d", i);
            send_str(acc[i], m);
        }
    }
}

static int check_listen(void) {
    for (int i = 0; i < 2; i++) {
        char m[32], name[32];
        snprintf(name, sizeof name, "@myrt-client-%d", i);
        if (name_is(acc[i], 0, "/tmp/listen.sock") || name_is(acc[i], 1, name)) return -1;
        if (name_is(cli[i], 0, name) || name_is(cli[i], 1, "/tmp/listen.sock")) return -1;
        snprintf(m, sizeof m, "from-client-%d", i);
        if (recv_is(acc[i], m, "accepted connection")) return -1;
        snprintf(m, sizeof m, "to-client-%d", i);
        if (recv_is(cli[i], m, "client of an accepted connection")) return -1;
    }
    for (int i = 2; i < 5; i++) {
        char name[32];
        snprintf(name, sizeof name, "@myrt-client-%d", i);
        if (name_is(cli[i], 1, "/tmp/listen.sock")) return -1;
        send_str(cli[i], "late");
        int fl = fcntl(lsn, F_GETFL);
        fcntl(lsn, F_SETFL, fl | O_NONBLOCK);
        int a = accept(lsn, NULL, NULL);
        CHECK(a >= 0, "accept of pending connection %d: %s", i, strerror(errno));
        if (name_is(a, 1, name) || name_is(a, 0, "/tmp/listen.sock")) return -1;
        if (recv_is(a, "late", "pending connection")) return -1;
        send_str(a, "welcome");
        if (recv_is(cli[i], "welcome", "pending connection reply")) return -1;
    }
    int a = accept(lsn, NULL, NULL);
    CHECK(a < 0 && errno == EAGAIN, "a sixth connection was pending");
    int backlog = 0;
    (void)backlog;
    return 0;
}

/* ---------------- dgram ---------------- */
static int rcv, s_abs, s_path, s_anon, dp[2], selfc, conn_s, conn_r;

static void setup_dgram(void) {
    rcv = sock_bound(SOCK_DGRAM, "/tmp/dgram.sock");
    s_abs = sock_bound(SOCK_DGRAM, "@myrt-sender-abs");
    s_path = sock_bound(SOCK_DGRAM, "/tmp/sender.sock");
    s_anon = sock_bound(SOCK_DGRAM, NULL);
    struct sockaddr_un a;
    socklen_t l = mkaddr(&a, "/tmp/dgram.sock");
    sendto(s_abs, "one", 3, 0, (struct sockaddr *)&a, l);
    sendto(s_path, "two-two", 7, 0, (struct sockaddr *)&a, l);
    sendto(s_anon, "three", 5, 0, (struct sockaddr *)&a, l);
    sendto(s_abs, "four!", 5, 0, (struct sockaddr *)&a, l);
    if (socketpair(AF_UNIX, SOCK_DGRAM, 0, dp) < 0) die("socketpair");
    send_str(dp[0], "a");
    send_str(dp[0], "bb");
    send_str(dp[1], "ccc");
    selfc = sock_bound(SOCK_DGRAM, "@myrt-self");
    do_connect(selfc, "@myrt-self");
    send_str(selfc, "me");
    send_str(selfc, "myself");
    conn_r = sock_bound(SOCK_DGRAM, "@myrt-conn-r");
    conn_s = sock_bound(SOCK_DGRAM, NULL);
    do_connect(conn_s, "@myrt-conn-r");
    send_str(conn_s, "connected-1");
    send_str(conn_s, "connected-22");
}

static int recv_from_is(int s, const char *want, const char *from) {
    char buf[100], got[200];
    struct sockaddr_un a;
    socklen_t l = sizeof a;
    ssize_t n = recvfrom(s, buf, sizeof buf, MSG_DONTWAIT, (struct sockaddr *)&a, &l);
    CHECK(n >= 0, "recvfrom for '%s': %s", want, strerror(errno));
    render(&a, l, got, sizeof got);
    CHECK((size_t)n == strlen(want) && memcmp(buf, want, (size_t)n) == 0, "datagram '%.*s', want '%s'", (int)n, buf, want);
    CHECK(strcmp(got, from) == 0, "datagram '%s' from '%s', want from '%s'", want, got, from);
    return 0;
}

static int check_dgram(void) {
    if (recv_from_is(rcv, "one", "@myrt-sender-abs") || recv_from_is(rcv, "two-two", "/tmp/sender.sock") ||
        recv_from_is(rcv, "three", "") || recv_from_is(rcv, "four!", "@myrt-sender-abs") || queue_empty(rcv, "receiver"))
        return -1;
    if (recv_is(dp[1], "a", "dgram pair") || recv_is(dp[1], "bb", "dgram pair") || recv_is(dp[0], "ccc", "dgram pair"))
        return -1;
    if (recv_is(selfc, "me", "self-connected") || recv_is(selfc, "myself", "self-connected")) return -1;
    if (name_is(selfc, 1, "@myrt-self")) return -1;
    if (recv_is(conn_r, "connected-1", "connected dgram") || recv_is(conn_r, "connected-22", "connected dgram")) return -1;
    if (name_is(conn_s, 1, "@myrt-conn-r") || name_is(rcv, 0, "/tmp/dgram.sock")) return -1;
    send_str(selfc, "again");
    if (recv_is(selfc, "again", "self-connected after restore")) return -1;
    send_str(dp[1], "back");
    if (recv_is(dp[0], "back", "dgram pair after restore")) return -1;
    struct sockaddr_un a;
    socklen_t l = mkaddr(&a, "/tmp/dgram.sock");
    sendto(s_path, "later", 5, 0, (struct sockaddr *)&a, l);
    if (recv_from_is(rcv, "later", "/tmp/sender.sock")) return -1;
    return 0;
}

/* ---------------- seqpacket ---------------- */
static int qp[2], ql, qc, qa;

static void setup_seqpacket(void) {
    if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, qp) < 0) die("socketpair");
    send_str(qp[0], "x");
    send_str(qp[0], "yy");
    send_str(qp[0], "zzz");
    send_str(qp[1], "back-1");
    send_str(qp[1], "back-22");
    ql = sock_bound(SOCK_SEQPACKET, "@myrt-seq");
    if (listen(ql, 3) < 0) die("listen");
    qc = sock_bound(SOCK_SEQPACKET, NULL);
    do_connect(qc, "@myrt-seq");
    qa = accept(ql, NULL, NULL);
    send_str(qc, "m1");
    send_str(qc, "message-two");
    send_str(qa, "reply");
}

static int check_seqpacket(void) {
    if (recv_is(qp[1], "x", "seqpacket") || recv_is(qp[1], "yy", "seqpacket") || recv_is(qp[1], "zzz", "seqpacket")) return -1;
    if (recv_is(qp[0], "back-1", "seqpacket") || recv_is(qp[0], "back-22", "seqpacket")) return -1;
    if (recv_is(qa, "m1", "seqpacket conn") || recv_is(qa, "message-two", "seqpacket conn") || recv_is(qc, "reply", "seqpacket conn"))
        return -1;
    if (name_is(qa, 0, "@myrt-seq") || name_is(qc, 1, "@myrt-seq")) return -1;
    CHECK(int_opt(qa, SO_TYPE) == SOCK_SEQPACKET, "type");
    return 0;
}

/* ---------------- fds in flight ---------------- */
/* Sends `n` fds (and credentials when `cred`) with `len` bytes of `data`. */
static int send_with(int s, const char *data, size_t len, const int *fds, int n, const struct ucred *cred) {
    struct iovec iov = {(void *)data, len};
    union {
        char buf[CMSG_SPACE(sizeof(int) * 8) + CMSG_SPACE(sizeof(struct ucred))];
        struct cmsghdr align;
    } u;
    memset(&u, 0, sizeof u);
    struct msghdr m = {0};
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = u.buf;
    m.msg_controllen = (n ? CMSG_SPACE(sizeof(int) * n) : 0) + (cred ? CMSG_SPACE(sizeof *cred) : 0);
    struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
    if (n) {
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(int) * n);
        memcpy(CMSG_DATA(cm), fds, sizeof(int) * n);
        cm = CMSG_NXTHDR(&m, cm);
    }
    if (cred) {
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_CREDENTIALS;
        cm->cmsg_len = CMSG_LEN(sizeof *cred);
        memcpy(CMSG_DATA(cm), cred, sizeof *cred);
    }
    return sendmsg(s, &m, 0) == (ssize_t)len ? 0 : -1;
}

/* Receives one message: its bytes into buf (NUL-terminated), its fds, its credentials. */
static int recv_with(int s, char *buf, size_t cap, int *fds, int *n, struct ucred *cred, int *has_cred) {
    struct iovec iov = {buf, cap - 1};
    union {
        char b[CMSG_SPACE(sizeof(int) * 8) + CMSG_SPACE(sizeof(struct ucred))];
        struct cmsghdr align;
    } u;
    struct msghdr m = {0};
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = u.b;
    m.msg_controllen = sizeof u.b;
    ssize_t got = recvmsg(s, &m, MSG_DONTWAIT);
    if (got < 0) return -1;
    buf[got] = 0;
    *n = 0;
    if (has_cred) *has_cred = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
            *n = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
            memcpy(fds, CMSG_DATA(c), sizeof(int) * *n);
        } else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS && cred) {
            memcpy(cred, CMSG_DATA(c), sizeof *cred);
            if (has_cred) *has_cred = 1;
        }
    }
    return (int)got;
}

static int fp[2], fq[2], fd_dg[2], fd_self[2], fd_keep;

static void setup_fds(void) {
    /* A stream pair carrying a file (with its offset), a pipe's read end with
     * data in the pipe, and a socket of another pair, in one message. */
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, fp) < 0) die("socketpair");
    int f = open("/tmp/fd-target", O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (f < 0) die("open");
    if (write(f, "target", 6) != 6) die("write");
    lseek(f, 2, SEEK_SET);
    int p[2];
    if (pipe(p) < 0) die("pipe");
    if (write(p[1], "piped", 5) != 5) die("write pipe");
    close(p[1]);
    int other[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, other) < 0) die("socketpair");
    send_str(other[1], "via-sent-socket");
    int three[3] = {f, p[0], other[0]};
    if (send_with(fp[0], "before", 6, NULL, 0, NULL) < 0) die("sendmsg");
    if (send_with(fp[0], "F", 1, three, 3, NULL) < 0) die("sendmsg fds");
    if (send_with(fp[0], "after", 5, NULL, 0, NULL) < 0) die("sendmsg");
    close(f), close(p[0]), close(other[0]);
    fd_keep = other[1];
    /* A socket sent over itself: fd_self[0] travels in its own pair to
     * fd_self[1] and is closed; only the message holds it. */
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, fd_self) < 0) die("socketpair");
    if (send_with(fd_self[0], "S", 1, &fd_self[0], 1, NULL) < 0) die("sendmsg self");
    close(fd_self[0]);
    /* A seqpacket pair whose message carries a pipe's write end; a datagram
     * pair whose message carries an eventfd-less file twice (two fds, one description). */
    if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, fq) < 0) die("socketpair");
    int w[2];
    if (pipe(w) < 0) die("pipe");
    if (send_with(fq[0], "W", 1, &w[1], 1, NULL) < 0) die("sendmsg seqpacket");
    close(w[1]);
    fd_self[0] = w[0]; /* the read end stays with the task */
    if (socketpair(AF_UNIX, SOCK_DGRAM, 0, fd_dg) < 0) die("socketpair");
    int d = open("/tmp/fd-dgram", O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (d < 0) die("open");
    int two[2] = {d, d};
    if (send_with(fd_dg[0], "D", 1, two, 2, NULL) < 0) die("sendmsg dgram");
    close(d);
}

static int check_fds(void) {
    char buf[64];
    int fds[8], n;
    /* a read goes on through 'before' and stops after the message with fds, as it did before the checkpoint */
    CHECK(recv_with(fp[1], buf, sizeof buf, fds, &n, NULL, NULL) == 7 && !strcmp(buf, "beforeF"),
          "stream: the message with fds is gone: got '%s' (%s)", buf, strerror(errno));
    CHECK(n == 3, "stream: %d fds in flight came back, want 3", n);
    char r[16] = {0};
    CHECK(read(fds[0], r, 4) == 4 && !memcmp(r, "rget", 4), "the file in flight reads '%s' at its offset, want 'rget'", r);
    memset(r, 0, sizeof r);
    CHECK(read(fds[1], r, sizeof r) == 5 && !memcmp(r, "piped", 5), "the pipe in flight reads '%s', want 'piped'", r);
    CHECK(read(fds[1], r, sizeof r) == 0, "the pipe in flight does not end after its data");
    if (recv_is(fds[2], "via-sent-socket", "the socket in flight")) return -1;
    send_str(fds[2], "back");
    if (recv_is(fd_keep, "back", "the peer of the socket in flight")) return -1;
    CHECK(recv_with(fp[1], buf, sizeof buf, fds, &n, NULL, NULL) == 5 && !strcmp(buf, "after") && n == 0, "stream: 'after' without fds");
    /* the socket sent over itself */
    CHECK(recv_with(fd_self[1], buf, sizeof buf, fds, &n, NULL, NULL) == 1 && buf[0] == 'S' && n == 1,
          "the socket sent over itself did not come back (%d fds)", n);
    send_str(fds[0], "self");
    if (recv_is(fd_self[1], "self", "the pair of the socket sent over itself")) return -1;
    /* seqpacket: the pipe's write end */
    CHECK(recv_with(fq[1], buf, sizeof buf, fds, &n, NULL, NULL) == 1 && buf[0] == 'W' && n == 1, "seqpacket: no pipe end in flight");
    CHECK(write(fds[0], "w", 1) == 1, "the pipe write end in flight does not write");
    close(fds[0]);
    CHECK(read(fd_self[0], r, sizeof r) == 1 && r[0] == 'w', "the pipe's read end did not get the byte");
    CHECK(read(fd_self[0], r, sizeof r) == 0, "the pipe has a writer left after the one in flight closed");
    /* dgram: two fds of one description */
    CHECK(recv_with(fd_dg[1], buf, sizeof buf, fds, &n, NULL, NULL) == 1 && buf[0] == 'D' && n == 2, "dgram: %d fds, want 2", n);
    CHECK(write(fds[0], "ab", 2) == 2, "dgram fd write");
    CHECK(lseek(fds[1], 0, SEEK_CUR) == 2, "the two fds in flight do not share one description (offset %ld)",
          (long)lseek(fds[1], 0, SEEK_CUR));
    return 0;
}

/* ---------------- credentials ---------------- */
static int cr_rcv, cr_pair[2];

static void setup_creds(void) {
    cr_rcv = sock_bound(SOCK_DGRAM, "/tmp/creds.sock");
    int on = 1;
    if (setsockopt(cr_rcv, SOL_SOCKET, SO_PASSCRED, &on, sizeof on) < 0) die("SO_PASSCRED");
    if (chmod("/tmp/creds.sock", 0777) < 0) die("chmod");
    /* A child of uid 1000 gid 1001 sends with its credentials (and an fd), then exits. */
    pid_t c = fork();
    if (c == 0) {
        if (setgid(1001) < 0 || setuid(1000) < 0) _exit(3);
        int s = socket(AF_UNIX, SOCK_DGRAM, 0);
        struct sockaddr_un a;
        socklen_t l = mkaddr(&a, "/tmp/creds.sock");
        if (connect(s, (struct sockaddr *)&a, l) < 0) _exit(4);
        struct ucred u = {getpid(), 1000, 1001};
        int devnull = open("/dev/null", O_WRONLY);
        _exit(send_with(s, "child", 5, &devnull, 1, &u) < 0 ? 5 : 0);
    }
    int st;
    if (waitpid(c, &st, 0) != c || !WIFEXITED(st) || WEXITSTATUS(st) != 0) die("the credentials child");
    /* The task itself (root) sends with uid 0 gid 0 over a stream pair whose receiver passes credentials. */
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, cr_pair) < 0) die("socketpair");
    if (setsockopt(cr_pair[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof on) < 0) die("SO_PASSCRED");
    struct ucred me = {getpid(), 0, 0};
    if (send_with(cr_pair[0], "self", 4, NULL, 0, &me) < 0) die("sendmsg creds");
}

static int check_creds(void) {
    char buf[64];
    int fds[8], n, has;
    struct ucred u;
    CHECK(recv_with(cr_rcv, buf, sizeof buf, fds, &n, &u, &has) == 5 && !strcmp(buf, "child"), "the child's datagram is gone");
    CHECK(has, "the child's datagram came without credentials");
    CHECK(u.uid == 1000 && u.gid == 1001, "the child's credentials are uid %u gid %u, want 1000 1001", u.uid, u.gid);
    CHECK(u.pid == 0, "the child exited: its pid reads %d, want 0", u.pid);
    CHECK(n == 1 && write(fds[0], "x", 1) == 1, "the child's /dev/null in flight (%d fds)", n);
    CHECK(recv_with(cr_pair[1], buf, sizeof buf, fds, &n, &u, &has) == 4 && !strcmp(buf, "self"), "the stream message is gone");
    CHECK(has && u.uid == 0 && u.gid == 0, "the stream message's credentials: %d uid %u gid %u", has, u.uid, u.gid);
    return 0;
}

/* ---------------- what stays refused ---------------- */
static int rf[2], rf_l;

static void setup_fdsrefused(const char *what) {
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, rf) < 0) die("socketpair");
    int f;
    if (!strcmp(what, "listener")) {
        /* a listener held by no task, in flight */
        f = sock_bound(SOCK_STREAM, "/tmp/inflight-listener.sock");
        if (listen(f, 4) < 0) die("listen");
    } else if (!strcmp(what, "inet")) {
        f = socket(AF_INET, SOCK_DGRAM, 0);
    } else {
        f = open("/dev/tty", O_RDWR | O_NOCTTY);
        if (f < 0) f = socket(AF_NETLINK, SOCK_RAW, 0);
    }
    if (f < 0) die("the fd to send");
    if (send_with(rf[0], "R", 1, &f, 1, NULL) < 0) die("sendmsg");
    close(f);
    rf_l = 0;
}

static int check_fdsrefused(void) {
    char buf[8];
    int fds[8], n;
    CHECK(recv_with(rf[1], buf, sizeof buf, fds, &n, NULL, NULL) == 1 && n == 1, "the message with its fd is gone");
    return 0;
}

/* ---------------- shutdown ---------------- */
static int wr[2], rd[2], both[2];

static void setup_shutdown(void) {
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, wr) < 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, rd) < 0 ||
        socketpair(AF_UNIX, SOCK_SEQPACKET, 0, both) < 0)
        die("socketpair");
    send_str(wr[0], "last-words");
    shutdown(wr[0], SHUT_WR);
    send_str(rd[1], "unread");
    shutdown(rd[0], SHUT_RD);
    send_str(both[1], "pkt");
    shutdown(both[0], SHUT_RDWR);
}

static int check_shutdown(void) {
    signal(SIGPIPE, SIG_IGN);
    if (recv_is(wr[1], "last-words", "before EOF")) return -1;
    char c;
    CHECK(recv(wr[1], &c, 1, MSG_DONTWAIT) == 0, "no EOF after a SHUT_WR peer");
    CHECK(send(wr[0], "x", 1, MSG_DONTWAIT) < 0 && errno == EPIPE, "send after SHUT_WR did not fail with EPIPE");
    send_str(wr[1], "other-way");
    if (recv_is(wr[0], "other-way", "the open half")) return -1;
    CHECK(send(rd[1], "x", 1, MSG_DONTWAIT) < 0 && errno == EPIPE, "send to a SHUT_RD peer did not fail with EPIPE");
    send_str(rd[0], "rd-writes");
    if (recv_is(rd[1], "rd-writes", "the write half of a SHUT_RD socket")) return -1;
    CHECK(send(both[0], "x", 1, MSG_DONTWAIT) < 0 && errno == EPIPE, "send on SHUT_RDWR did not fail");
    CHECK(send(both[1], "x", 1, MSG_DONTWAIT) < 0 && errno == EPIPE, "send to a SHUT_RDWR peer did not fail");
    return 0;
}

/* ---------------- inet ---------------- */
static int inet_fd;

static void setup_inet(void) {
    inet_fd = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDPLITE); /* TCP and UDP are saved; UDP-Lite is not */
    if (inet_fd < 0) die("socket(AF_INET)");
}

static int check_inet(void) {
    CHECK(int_opt(inet_fd, SO_DOMAIN) == AF_INET, "the AF_INET socket is gone");
    return 0;
}

/* ---------------- talk ---------------- */
static void talk_server(void) {
    int l = sock_bound(SOCK_STREAM, "/tmp/echo.sock");
    if (listen(l, 4) < 0) _exit(2);
    int c = accept(l, NULL, NULL);
    char buf[64];
    for (;;) {
        ssize_t n = recv(c, buf, sizeof buf, 0);
        if (n <= 0) _exit(n == 0 ? 0 : 3);
        for (ssize_t i = 0; i < n; i++) buf[i] = (char)(buf[i] ^ 0x20);
        if (send(c, buf, (size_t)n, 0) != n) _exit(4);
    }
}

static int run_talk(void) {
    pid_t srv = fork();
    if (srv == 0) talk_server();
    int c = -1;
    for (int i = 0; i < 200 && c < 0; i++) {
        c = socket(AF_UNIX, SOCK_STREAM, 0);
        struct sockaddr_un a;
        socklen_t l = mkaddr(&a, "/tmp/echo.sock");
        if (connect(c, (struct sockaddr *)&a, l) < 0) {
            close(c);
            c = -1;
            usleep(10000);
        }
    }
    if (c < 0) die("connect to the echo server");
    long rounds = 0, at_usr1 = -1;
    struct timespec t0;
    int readied = 0;
    for (;;) {
        char m[16], r[16];
        int len = snprintf(m, sizeof m, "msg%ld", rounds);
        if (send(c, m, (size_t)len, 0) != len) CHECK(0, "send to the echo server: %s", strerror(errno));
        ssize_t got = 0;
        while (got < len) {
            ssize_t n = recv(c, r + got, (size_t)(len - got), 0);
            if (n < 0 && errno == EINTR) continue;
            CHECK(n > 0, "echo server gone after %ld rounds: %s", rounds, n == 0 ? "EOF" : strerror(errno));
            got += n;
        }
        for (int i = 0; i < len; i++) CHECK(r[i] == (char)(m[i] ^ 0x20), "wrong echo at round %ld", rounds);
        rounds++;
        if (rounds == 100 && !readied) {
            put_file("/shared/ready", "READY\n");
            readied = 1;
        }
        if (got_usr1 && at_usr1 < 0) {
            at_usr1 = rounds;
            clock_gettime(CLOCK_MONOTONIC, &t0);
        }
        if (at_usr1 >= 0 && rounds - at_usr1 > 200) break;
        usleep(2000);
    }
    close(c);
    int st;
    waitpid(srv, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "echo server ended with status %#x", st);
    return 0;
}

/* ---------------- leak ---------------- */
static void run_leak(void) {
    int s = sock_bound(SOCK_STREAM, NULL);
    do_connect(s, "/shared/outside.sock");
    put_file("/shared/ready", "READY\n");
    for (int round = 0;; round++) {
        wait_usr1();
        why[0] = 0;
        int rc = 0;
        if (round == 0) {
            send_str(s, "ping");
            char buf[8] = {0};
            ssize_t n = recv(s, buf, 4, MSG_WAITALL);
            if (n != 4 || memcmp(buf, "pong", 4) != 0) {
                snprintf(why, sizeof why, "the outside peer did not answer: %zd", n);
                rc = -1;
            }
        } else {
            char c;
            ssize_t n = recv(s, &c, 1, 0);
            if (n != 0) {
                snprintf(why, sizeof why, "after restore with --ext-unix-sk the outside peer should be gone, recv gave %zd (%s)", n,
                         n < 0 ? strerror(errno) : "data");
                rc = -1;
            }
        }
        verdict(rc);
    }
}

/* ---------------- loose ---------------- */
static int sq_unbound, sq_bound, dg_rcv, dg_unbound, owned;

static void setup_loose(void) {
    sq_unbound = sock_bound(SOCK_SEQPACKET, NULL);
    sq_bound = sock_bound(SOCK_SEQPACKET, "/tmp/seq-loose.sock");
    dg_unbound = sock_bound(SOCK_DGRAM, NULL);
    dg_rcv = sock_bound(SOCK_DGRAM, "/tmp/dg-loose.sock");
    struct sockaddr_un a;
    socklen_t l = mkaddr(&a, "/tmp/dg-loose.sock");
    /* Senders that close before the checkpoint: a named one and an unnamed one. */
    int gone_named = sock_bound(SOCK_DGRAM, "@myrt-gone");
    int gone_anon = sock_bound(SOCK_DGRAM, NULL);
    if (sendto(gone_named, "from-gone", 9, 0, (struct sockaddr *)&a, l) != 9) die("sendto");
    if (sendto(gone_anon, "from-anon", 9, 0, (struct sockaddr *)&a, l) != 9) die("sendto");
    if (sendto(dg_unbound, "from-live", 9, 0, (struct sockaddr *)&a, l) != 9) die("sendto");
    close(gone_named);
    close(gone_anon);
    owned = sock_bound(SOCK_STREAM, "/tmp/owned.sock");
    if (listen(owned, 2) < 0) die("listen");
    /* The owner is changed from outside by the test (the container has no CAP_CHOWN). */
    if (chmod("/tmp/owned.sock", 0646) < 0) die("chmod");
}

static int check_loose(void) {
    int type = 0;
    socklen_t tl = sizeof type;
    CHECK(getsockopt(sq_unbound, SOL_SOCKET, SO_TYPE, &type, &tl) == 0 && type == SOCK_SEQPACKET, "unbound seqpacket type %d",
          type);
    if (name_is(sq_bound, 0, "/tmp/seq-loose.sock")) return -1;
    /* Still usable: the bound one listens and the unbound one connects to it. */
    CHECK(listen(sq_bound, 1) == 0, "listen on the bound seqpacket socket: %s", strerror(errno));
    struct sockaddr_un a;
    socklen_t l = mkaddr(&a, "/tmp/seq-loose.sock");
    CHECK(connect(sq_unbound, (struct sockaddr *)&a, l) == 0, "connect the unbound seqpacket socket: %s", strerror(errno));
    if (recv_from_is(dg_rcv, "from-gone", "@myrt-gone") || recv_from_is(dg_rcv, "from-anon", "") ||
        recv_from_is(dg_rcv, "from-live", "") || queue_empty(dg_rcv, "loose datagram receiver"))
        return -1;
    struct stat st;
    CHECK(lstat("/tmp/owned.sock", &st) == 0 && S_ISSOCK(st.st_mode), "/tmp/owned.sock: %s", strerror(errno));
    CHECK((st.st_mode & 07777) == 0646 && st.st_uid == 1234 && st.st_gid == 4321,
          "/tmp/owned.sock has mode %o owner %u:%u, want 646 1234:4321", st.st_mode & 07777, st.st_uid, st.st_gid);
    return 0;
}

/* ---------------- paths: names whose file moved on ---------------- */
static int rel_lsn, gone_dg, fifo_lsn, file_dg, remade_lsn, rel_seq;

static void setup_paths(void) {
    mkdir("/tmp/reldir", 0755);
    if (chdir("/tmp/reldir") < 0) die("chdir");
    rel_lsn = sock_bound(SOCK_STREAM, "rel.sock");
    if (listen(rel_lsn, 2) < 0) die("listen rel");
    rel_seq = sock_bound(SOCK_SEQPACKET, "./rel-seq.sock");
    if (listen(rel_seq, 2) < 0) die("listen rel-seq");
    if (chdir("/") < 0) die("chdir /");
    gone_dg = sock_bound(SOCK_DGRAM, "/tmp/gone.sock");
    if (unlink("/tmp/gone.sock") < 0) die("unlink gone");
    fifo_lsn = sock_bound(SOCK_STREAM, "/tmp/fifo.sock");
    if (listen(fifo_lsn, 2) < 0) die("listen fifo");
    if (unlink("/tmp/fifo.sock") < 0 || mkfifo("/tmp/fifo.sock", 0640) < 0) die("mkfifo");
    file_dg = sock_bound(SOCK_DGRAM, "/tmp/file.sock");
    if (unlink("/tmp/file.sock") < 0) die("unlink file");
    put_file("/tmp/file.sock", "plain file\n");
    mkdir("/tmp/remade", 0755);
    remade_lsn = sock_bound(SOCK_SEQPACKET, "/tmp/remade/s.sock");
    if (listen(remade_lsn, 2) < 0) die("listen remade");
    if (unlink("/tmp/remade/s.sock") < 0 || rmdir("/tmp/remade") < 0 || mkdir("/tmp/remade", 0700) < 0) die("remake dir");
}

static int connect_works(int lsn_fd, int type, const char *path) {
    int c = socket(AF_UNIX, type, 0);
    struct sockaddr_un a;
    socklen_t l = mkaddr(&a, path);
    CHECK(connect(c, (struct sockaddr *)&a, l) == 0, "connect to %s: %s", path, strerror(errno));
    int fl = fcntl(lsn_fd, F_GETFL);
    fcntl(lsn_fd, F_SETFL, fl | O_NONBLOCK);
    int acc_fd = accept(lsn_fd, NULL, NULL);
    CHECK(acc_fd >= 0, "accept on the socket bound at %s: %s", path, strerror(errno));
    close(acc_fd);
    close(c);
    return 0;
}

static int check_paths(void) {
    struct stat st;
    if (name_is(rel_lsn, 0, "rel.sock") || name_is(rel_seq, 0, "./rel-seq.sock")) return -1;
    CHECK(lstat("/tmp/reldir/rel.sock", &st) == 0 && S_ISSOCK(st.st_mode), "/tmp/reldir/rel.sock is not a socket file");
    if (connect_works(rel_lsn, SOCK_STREAM, "/tmp/reldir/rel.sock")) return -1;
    if (connect_works(rel_seq, SOCK_SEQPACKET, "/tmp/reldir/rel-seq.sock")) return -1;
    if (name_is(gone_dg, 0, "/tmp/gone.sock")) return -1;
    CHECK(lstat("/tmp/gone.sock", &st) < 0 && errno == ENOENT, "/tmp/gone.sock exists again");
    if (name_is(fifo_lsn, 0, "/tmp/fifo.sock")) return -1;
    CHECK(lstat("/tmp/fifo.sock", &st) == 0 && S_ISFIFO(st.st_mode) && (st.st_mode & 0777) == 0640,
          "/tmp/fifo.sock is no longer the FIFO (mode %o)", st.st_mode);
    if (name_is(file_dg, 0, "/tmp/file.sock")) return -1;
    char buf[64] = {0};
    int f = open("/tmp/file.sock", O_RDONLY);
    CHECK(f >= 0 && read(f, buf, sizeof buf - 1) > 0 && strcmp(buf, "plain file\n") == 0, "/tmp/file.sock lost its contents '%s'", buf);
    close(f);
    if (name_is(remade_lsn, 0, "/tmp/remade/s.sock")) return -1;
    CHECK(stat("/tmp/remade", &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 0777) == 0700, "/tmp/remade is not the new directory");
    CHECK(lstat("/tmp/remade/s.sock", &st) < 0 && errno == ENOENT, "/tmp/remade/s.sock exists again");
    return 0;
}

/* ---------------- peergone: messages from peers that closed ---------------- */
static int pg_dg, pg_seq[2], pg_to;

static void setup_peergone(void) {
    /* A connected datagram socket whose peer sent to it, then closed. */
    pg_dg = sock_bound(SOCK_DGRAM, "@myrt-pg-a");
    int b = sock_bound(SOCK_DGRAM, "@myrt-pg-b");
    do_connect(pg_dg, "@myrt-pg-b");
    do_connect(b, "@myrt-pg-a");
    send_str(b, "last-words");
    close(b);
    /* A seqpacket pair whose peer sent two messages, then closed. */
    if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, pg_seq) < 0) die("socketpair");
    send_str(pg_seq[1], "seq-bye-1");
    send_str(pg_seq[1], "seq-bye-22");
    close(pg_seq[1]);
    /* A datagram sent to a receiver that has closed since: it went with the receiver. The sender stays connected to nothing. */
    pg_to = sock_bound(SOCK_DGRAM, NULL);
    int r = sock_bound(SOCK_DGRAM, "@myrt-pg-r");
    do_connect(pg_to, "@myrt-pg-r");
    send_str(pg_to, "lost");
    close(r);
}

static int check_peergone(void) {
    if (recv_from_is(pg_dg, "last-words", "@myrt-pg-b") || queue_empty(pg_dg, "dgram of a closed peer")) return -1;
    if (recv_is(pg_seq[0], "seq-bye-1", "seqpacket of a closed peer") || recv_is(pg_seq[0], "seq-bye-22", "seqpacket of a closed peer"))
        return -1;
    char c;
    ssize_t n = recv(pg_seq[0], &c, 1, MSG_DONTWAIT);
    CHECK(n == 0, "seqpacket of a closed peer: expected EOF, got %zd (%s)", n, n < 0 ? strerror(errno) : "data");
    n = send(pg_to, "x", 1, MSG_DONTWAIT);
    CHECK(n < 0 && (errno == ECONNREFUSED || errno == ENOTCONN), "sender to a closed receiver: send gave %zd (%s)", n,
          n < 0 ? strerror(errno) : "sent");
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    signal(SIGUSR1, on_usr1);
    signal(SIGPIPE, SIG_IGN);
    mkdir("/tmp", 01777);
    const char *mode = argv[1];
    if (!strcmp(mode, "talk")) {
        verdict(run_talk());
        for (;;) pause();
    }
    if (!strcmp(mode, "leak")) run_leak();
    int (*verify)(void) = NULL;
    if (!strcmp(mode, "stream")) setup_stream(), verify = check_stream;
    else if (!strcmp(mode, "listen")) setup_listen(), verify = check_listen;
    else if (!strcmp(mode, "dgram")) setup_dgram(), verify = check_dgram;
    else if (!strcmp(mode, "seqpacket")) setup_seqpacket(), verify = check_seqpacket;
    else if (!strcmp(mode, "fds")) setup_fds(), verify = check_fds;
    else if (!strcmp(mode, "creds")) setup_creds(), verify = check_creds;
    else if (!strcmp(mode, "fdsrefused") && argc > 2) setup_fdsrefused(argv[2]), verify = check_fdsrefused;
    else if (!strcmp(mode, "shutdown")) setup_shutdown(), verify = check_shutdown;
    else if (!strcmp(mode, "inet")) setup_inet(), verify = check_inet;
    else if (!strcmp(mode, "loose")) setup_loose(), verify = check_loose;
    else if (!strcmp(mode, "paths")) setup_paths(), verify = check_paths;
    else if (!strcmp(mode, "peergone")) setup_peergone(), verify = check_peergone;
    else return 2;
    put_file("/shared/ready", "READY\n");
    wait_usr1();
    verdict(verify());
    for (;;) pause();
}
