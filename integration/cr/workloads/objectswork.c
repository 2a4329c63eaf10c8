/* Self-checking workloads for the kernel objects of the C/R tests (the
 * "objects" area: eventfd, epoll, signalfd, timerfd, inotify, pidfd, memfd,
 * FIFOs, and objects myrt refuses).
 *
 *   objectswork MODE
 *
 * As crwork.c: each mode sets up its state, writes "READY" to /shared/ready,
 * waits for SIGUSR1, verifies the state (after a checkpoint and restore it
 * must be intact) and writes "PASS" or "FAIL: why" to /shared/result.
 *
 * Modes:
 *   eventfd      a counter (non-blocking) and a semaphore-mode eventfd
 *   epoll        level, edge-triggered, one-shot and exclusive registrations
 *                with their data; epoll_wait gives the right events after
 *   signalfd     a mask of two signals, one pending at checkpoint, one sent after
 *   timerfd      relative, periodic, absolute (realtime) timers and unread
 *                ticks; each fires at its deadline after restore
 *   inotify      watches with a gap in their numbers; events after restore
 *   pidfd        the init's pidfd of itself, a child's pidfd of its parent
 *   memfd        two memfds (sealed, unsealable), two descriptions of one
 *                with their offsets, a shared mapping of a memfd
 *   fifo         a FIFO open read-only, write-only and read-write with data
 *                in flight
 *   unsupported KIND   holds an io_uring, userfaultfd, fanotify, perf_event
 *                inotify with events pending, or epoll_closed (an epoll registration
 *                whose fd was closed, the file kept by a dup); /shared/ready says
 *                "READY <fd>" or "NONE <why>" when the object cannot be made
 *   grab PID FD  (on the host) holds a copy of fd FD of PID (pidfd_getfd): a
 *                description shared with a process outside the container
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <linux/perf_event.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/fanotify.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "workload.h"


static void ready(void) { put_file("/shared/ready", "READY\n"); }

static char why[512];
#define FAIL(...) do { if (!why[0]) snprintf(why, sizeof why, __VA_ARGS__); } while (0)

static void result(void) {
    char buf[600];
    snprintf(buf, sizeof buf, "%s%s\n", why[0] ? "FAIL: " : "PASS", why);
    put_file("/shared/result", buf);
}

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static void wait_usr1(void) {
    while (!got_usr1) sleep_ms(20);
}

static void finish(void) {
    result();
    for (;;) sleep_ms(1000);
}

static int64_t now_ns(clockid_t c) {
    struct timespec ts;
    clock_gettime(c, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The value of "key:" in /proc/self/fdinfo/FD (copied into out), or "" */
static const char *fdinfo(int fd, const char *key, char *out, size_t len) {
    char path[64], line[512];
    snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fd);
    out[0] = 0;
    FILE *f = fopen(path, "re");
    if (!f) return out;
    size_t kl = strlen(key);
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, key, kl) == 0 && line[kl] == ':') {
            char *v = line + kl + 1;
            while (*v == ' ' || *v == '\t') v++;
            v[strcspn(v, "\n")] = 0;
            snprintf(out, len, "%s", v);
            break;
        }
    }
    fclose(f);
    return out;
}

/* ---- eventfd ---- */
static int mode_eventfd(void) {
    int a = eventfd(0, EFD_NONBLOCK);
    int s = eventfd(0, EFD_SEMAPHORE | EFD_CLOEXEC);
    uint64_t v = 41;
    if (write(a, &v, 8) != 8) FAIL("write a");
    v = 1;
    if (write(a, &v, 8) != 8) FAIL("write a");
    v = 3;
    if (write(s, &v, 8) != 8) FAIL("write s");
    ready();
    wait_usr1();
    if (!(fcntl(a, F_GETFL) & O_NONBLOCK)) FAIL("eventfd lost O_NONBLOCK");
    if (fcntl(a, F_GETFD) & FD_CLOEXEC) FAIL("eventfd gained FD_CLOEXEC");
    if (!(fcntl(s, F_GETFD) & FD_CLOEXEC)) FAIL("semaphore eventfd lost FD_CLOEXEC");
    if (read(a, &v, 8) != 8 || v != 42) FAIL("eventfd count %llu, not 42", (unsigned long long)v);
    if (read(a, &v, 8) != -1 || errno != EAGAIN) FAIL("eventfd not empty after the read (or blocking)");
    for (int i = 0; i < 3; ++i)
        if (read(s, &v, 8) != 8 || v != 1) FAIL("semaphore read %d gave %llu, not 1", i, (unsigned long long)v);
    fcntl(s, F_SETFL, O_NONBLOCK);
    if (read(s, &v, 8) != -1 || errno != EAGAIN) FAIL("semaphore eventfd not empty after 3 reads");
    char buf[64];
    if (strcmp(fdinfo(s, "eventfd-semaphore", buf, sizeof buf), "1") != 0) FAIL("semaphore mode lost (%s)", buf);
    finish();
    return 0;
}

/* ---- epoll ---- */
static int mode_epoll(void) {
    int p[2], q[2];
    if (pipe(p) || pipe(q)) FAIL("pipe");
    int e = eventfd(0, EFD_NONBLOCK), x = eventfd(0, EFD_NONBLOCK);
    int ep = epoll_create1(EPOLL_CLOEXEC), ep2 = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 0x1111};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev)) FAIL("add p");
    ev = (struct epoll_event){.events = EPOLLIN | EPOLLET, .data.u64 = 0x2222222222ull};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, e, &ev)) FAIL("add e");
    ev = (struct epoll_event){.events = EPOLLIN | EPOLLONESHOT, .data.u64 = 0x3333};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, q[0], &ev)) FAIL("add q");
    ev = (struct epoll_event){.events = EPOLLIN | EPOLLEXCLUSIVE, .data.u64 = 0x4444};
    if (epoll_ctl(ep2, EPOLL_CTL_ADD, x, &ev)) FAIL("add x exclusive");
    ev = (struct epoll_event){.events = EPOLLIN, .data.u64 = 0x5555};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, ep2, &ev)) FAIL("add nested epoll");
    if (write(p[1], "ready-data", 10) != 10) FAIL("write p");
    uint64_t one = 1;
    if (write(e, &one, 8) != 8) FAIL("write e");
    ready();
    wait_usr1();
    struct epoll_event got[8];
    int n = epoll_wait(ep, got, 8, 0);
    int seen1 = 0, seen2 = 0;
    for (int i = 0; i < n; ++i) {
        if (got[i].data.u64 == 0x1111 && (got[i].events & EPOLLIN)) seen1++;
        else if (got[i].data.u64 == 0x2222222222ull && (got[i].events & EPOLLIN)) seen2++;
        else FAIL("unexpected event data %#llx events %#x", (unsigned long long)got[i].data.u64, got[i].events);
    }
    if (n != 2 || !seen1 || !seen2) FAIL("first epoll_wait: %d events (pipe %d, eventfd %d), wanted 2", n, seen1, seen2);
    /* edge-triggered: not reported again; level-triggered: still reported */
    n = epoll_wait(ep, got, 8, 0);
    if (n != 1 || got[0].data.u64 != 0x1111) FAIL("second epoll_wait: %d events, wanted the pipe only", n);
    /* one-shot fires once */
    if (write(q[1], "q", 1) != 1) FAIL("write q");
    char buf[16];
    if (read(p[0], buf, sizeof buf) != 10 || memcmp(buf, "ready-data", 10)) FAIL("pipe data in flight lost");
    n = epoll_wait(ep, got, 8, 100);
    if (n != 1 || got[0].data.u64 != 0x3333) FAIL("one-shot: %d events, first data %#llx", n, n > 0 ? (unsigned long long)got[0].data.u64 : 0ull);
    if (epoll_wait(ep, got, 8, 0) != 0) FAIL("one-shot fired twice");
    /* the exclusive registration, seen through the nested epoll */
    if (write(x, &one, 8) != 8) FAIL("write x");
    n = epoll_wait(ep, got, 8, 100);
    if (n != 1 || got[0].data.u64 != 0x5555) FAIL("nested epoll not reported (%d events)", n);
    n = epoll_wait(ep2, got, 8, 0);
    if (n != 1 || got[0].data.u64 != 0x4444) FAIL("exclusive registration: %d events", n);
    char line[256];
    snprintf(line, sizeof line, "%d", x);
    char path[64], l[512];
    snprintf(path, sizeof path, "/proc/self/fdinfo/%d", ep2);
    FILE *f = fopen(path, "re");
    int excl = 0;
    while (f && fgets(l, sizeof l, f)) {
        unsigned evs;
        int tfd;
        if (sscanf(l, "tfd: %d events: %x", &tfd, &evs) == 2 && tfd == x && (evs & EPOLLEXCLUSIVE)) excl = 1;
    }
    if (f) fclose(f);
    if (!excl) FAIL("EPOLLEXCLUSIVE lost");
    if (!(fcntl(ep, F_GETFD) & FD_CLOEXEC)) FAIL("epoll lost FD_CLOEXEC");
    finish();
    return 0;
}

/* ---- signalfd ---- */
static int mode_signalfd(void) {
    sigset_t m;
    sigemptyset(&m);
    sigaddset(&m, SIGUSR2);
    sigaddset(&m, SIGRTMIN + 1);
    sigprocmask(SIG_BLOCK, &m, NULL);
    int sfd = signalfd(-1, &m, SFD_NONBLOCK | SFD_CLOEXEC);
    kill(getpid(), SIGUSR2); /* pending across the checkpoint */
    char before[64];
    fdinfo(sfd, "sigmask", before, sizeof before);
    ready();
    wait_usr1();
    char after[64];
    if (strcmp(fdinfo(sfd, "sigmask", after, sizeof after), before) != 0) FAIL("sigmask %s, was %s", after, before);
    struct signalfd_siginfo si;
    if (read(sfd, &si, sizeof si) != sizeof si || si.ssi_signo != SIGUSR2) FAIL("pending SIGUSR2 not read from the signalfd");
    if (read(sfd, &si, sizeof si) != -1 || errno != EAGAIN) FAIL("signalfd not empty (or lost O_NONBLOCK)");
    union sigval v = {.sival_int = 777};
    sigqueue(getpid(), SIGRTMIN + 1, v);
    if (read(sfd, &si, sizeof si) != sizeof si || (int)si.ssi_signo != SIGRTMIN + 1 || si.ssi_int != 777)
        FAIL("signal sent after restore not read from the signalfd");
    finish();
    return 0;
}

/* ---- timerfd ---- */
static int check_fires_at(int fd, clockid_t c, int64_t deadline, const char *what) {
    /* wait for the first expiry; it must come at the deadline, not much later nor earlier */
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    int64_t left = (deadline - now_ns(c)) / 1000000;
    if (poll(&pfd, 1, (int)(left > 0 ? left : 0) + 2000) != 1) { FAIL("%s never fired", what); return 0; }
    int64_t at = now_ns(c);
    if (at < deadline) FAIL("%s fired %lld ms early", what, (long long)((deadline - at) / 1000000));
    if (at > deadline + 150000000) FAIL("%s fired %lld ms late", what, (long long)((at - deadline) / 1000000));
    return 1;
}

static int mode_timerfd(void) {
    int64_t start = now_ns(CLOCK_MONOTONIC);
    /* relative one-shot, 6 s */
    int rel = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
    struct itimerspec its = {.it_value = {6, 0}};
    timerfd_settime(rel, 0, &its, NULL);
    int64_t rel_deadline = start + 6000000000ll;
    /* periodic, 100 ms */
    int per = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    its = (struct itimerspec){.it_value = {0, 100000000}, .it_interval = {0, 100000000}};
    timerfd_settime(per, 0, &its, NULL);
    /* absolute, realtime, 7 s */
    int ab = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK);
    int64_t ab_deadline = now_ns(CLOCK_REALTIME) + 7000000000ll;
    its = (struct itimerspec){.it_value = {ab_deadline / 1000000000, ab_deadline % 1000000000}};
    timerfd_settime(ab, TFD_TIMER_ABSTIME, &its, NULL);
    /* expired with a tick unread, boottime */
    int done = timerfd_create(CLOCK_BOOTTIME, TFD_NONBLOCK);
    its = (struct itimerspec){.it_value = {0, 1000000}};
    timerfd_settime(done, 0, &its, NULL);
    /* disarmed */
    int idle = timerfd_create(CLOCK_MONOTONIC, 0);
    sleep_ms(20);
    ready();
    wait_usr1();
    uint64_t ticks = 0;
    if (read(done, &ticks, 8) != 8 || ticks != 1) FAIL("expired timer: %llu ticks, not 1", (unsigned long long)ticks);
    struct itimerspec cur;
    timerfd_gettime(idle, &cur);
    if (cur.it_value.tv_sec || cur.it_value.tv_nsec) FAIL("disarmed timer is armed");
    if (fcntl(idle, F_GETFL) & O_NONBLOCK) FAIL("blocking timerfd became non-blocking");
    int64_t t = now_ns(CLOCK_MONOTONIC);
    /* No tick yet (EAGAIN) is right only if the first period has not ended:
     * a fast checkpoint and restore can verify within 100 ms of the start. */
    ticks = 0;
    if (read(per, &ticks, 8) != 8 && errno != EAGAIN) FAIL("periodic timer: read failed (%s)", strerror(errno));
    int64_t want = (t - start) / 100000000;
    if ((int64_t)ticks < want - 2 || (int64_t)ticks > want + 2)
        FAIL("periodic timer: %llu ticks after %lld ms, wanted about %lld", (unsigned long long)ticks,
             (long long)((t - start) / 1000000), (long long)want);
    timerfd_gettime(per, &cur);
    if (cur.it_interval.tv_sec != 0 || cur.it_interval.tv_nsec != 100000000) FAIL("periodic timer lost its interval");
    if (!why[0] && rel_deadline - now_ns(CLOCK_MONOTONIC) < 500000000ll)
        FAIL("too slow: the relative timer's deadline is near before the verification started");
    timerfd_gettime(rel, &cur);
    int64_t left = (int64_t)cur.it_value.tv_sec * 1000000000 + cur.it_value.tv_nsec;
    int64_t expect = rel_deadline - now_ns(CLOCK_MONOTONIC);
    if (left - expect > 50000000 || expect - left > 50000000)
        FAIL("relative timer: %lld ms left, wanted %lld", (long long)(left / 1000000), (long long)(expect / 1000000));
    if (!why[0] && check_fires_at(rel, CLOCK_MONOTONIC, rel_deadline, "relative timer") && read(rel, &ticks, 8) == 8 && ticks != 1)
        FAIL("relative timer: %llu ticks", (unsigned long long)ticks);
    if (!why[0]) check_fires_at(ab, CLOCK_REALTIME, ab_deadline, "absolute realtime timer");
    finish();
    return 0;
}

/* ---- inotify ---- */
static int mode_inotify(void) {
    mkdir("/tmp/w1", 0755);
    mkdir("/tmp/w2", 0755);
    mkdir("/tmp/w3", 0755);
    int victim = open("/tmp/w3/victim", O_CREAT | O_WRONLY, 0644);
    close(victim);
    int in = inotify_init1(IN_NONBLOCK);
    int w1 = inotify_add_watch(in, "/tmp/w1", IN_CREATE);
    int w2 = inotify_add_watch(in, "/tmp/w2", IN_CREATE);
    inotify_rm_watch(in, w2);
    int w3 = inotify_add_watch(in, "/tmp/w3", IN_DELETE | IN_ONESHOT);
    char buf[4096];
    while (read(in, buf, sizeof buf) > 0) { /* the IN_IGNORED of w2 */
    }
    if (w1 != 1 || w3 != 3) FAIL("setup: watches %d and %d", w1, w3);
    ready();
    wait_usr1();
    if (!(fcntl(in, F_GETFL) & O_NONBLOCK)) FAIL("inotify lost O_NONBLOCK");
    if (read(in, buf, sizeof buf) != -1 || errno != EAGAIN) FAIL("inotify has events right after restore");
    int f = open("/tmp/w1/created", O_CREAT | O_WRONLY, 0644);
    close(f);
    unlink("/tmp/w3/victim");
    f = open("/tmp/w2/unwatched", O_CREAT | O_WRONLY, 0644);
    close(f);
    sleep_ms(50);
    ssize_t n = read(in, buf, sizeof buf);
    int create = 0, del = 0, other = 0;
    for (ssize_t off = 0; n > 0 && off < n;) {
        struct inotify_event *ev = (struct inotify_event *)(buf + off);
        if (ev->wd == 1 && (ev->mask & IN_CREATE) && !strcmp(ev->name, "created")) create++;
        else if (ev->wd == 3 && (ev->mask & IN_DELETE) && !strcmp(ev->name, "victim")) del++;
        else if (ev->wd == 3 && (ev->mask & IN_IGNORED)) { /* the one-shot watch going away */ }
        else other++;
        off += (ssize_t)sizeof *ev + ev->len;
    }
    if (create != 1 || del != 1 || other) FAIL("inotify events: create %d delete %d other %d", create, del, other);
    finish();
    return 0;
}

/* ---- pidfd ---- */
static int pid_of_pidfd(int fd) {
    char buf[64];
    fdinfo(fd, "Pid", buf, sizeof buf);
    return buf[0] ? atoi(buf) : -2;
}

static int mode_pidfd(void) {
    int self = (int)syscall(SYS_pidfd_open, getpid(), 0);
    if (self < 0) FAIL("pidfd_open self");
    pid_t child = fork();
    if (child == 0) {
        install_usr1();
        int parent = (int)syscall(SYS_pidfd_open, getppid(), O_NONBLOCK);
        int me = (int)syscall(SYS_pidfd_open, getpid(), 0);
        wait_usr1();
        int ok = pid_of_pidfd(parent) == getppid() && pid_of_pidfd(me) == getpid() &&
                 (fcntl(parent, F_GETFL) & O_NONBLOCK) && syscall(SYS_pidfd_send_signal, parent, 0, NULL, 0) == 0;
        _exit(ok ? 0 : 1);
    }
    sleep_ms(100);
    ready();
    wait_usr1();
    if (pid_of_pidfd(self) != getpid()) FAIL("pidfd of self names pid %d, not %d", pid_of_pidfd(self), getpid());
    if (syscall(SYS_pidfd_send_signal, self, 0, NULL, 0) != 0) FAIL("pidfd_send_signal through the restored pidfd: %s", strerror(errno));
    kill(child, SIGUSR1);
    int st = 0;
    if (waitpid(child, &st, 0) != child || !WIFEXITED(st) || WEXITSTATUS(st) != 0) FAIL("child's pidfd of its parent: status %#x", st);
    finish();
    return 0;
}

/* ---- memfd ---- */
static int mode_memfd(void) {
    int a = memfd_create("objects-sealed", MFD_ALLOW_SEALING);
    char block[10000];
    for (size_t i = 0; i < sizeof block; ++i) block[i] = (char)('A' + i % 23);
    if (write(a, block, sizeof block) != (ssize_t)sizeof block) FAIL("write memfd");
    fchmod(a, 0640);
    if (fcntl(a, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW)) FAIL("seal");
    lseek(a, 5000, SEEK_SET);
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", a);
    int a2 = open(path, O_RDONLY);
    lseek(a2, 100, SEEK_SET);
    int b = memfd_create("plain memfd", MFD_CLOEXEC);
    if (write(b, "hello", 5) != 5) FAIL("write b");
    int c = memfd_create("mapped", 0);
    if (ftruncate(c, 8192)) FAIL("truncate c");
    char *map = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, c, 0);
    if (map == MAP_FAILED) FAIL("mmap c");
    else memset(map, 'm', 8192);
    ready();
    wait_usr1();
    char link[128] = "";
    ssize_t n = readlink(path, link, sizeof link - 1);
    if (n < 0 || (link[n] = 0, strcmp(link, "/memfd:objects-sealed (deleted)"))) FAIL("memfd name: %s", link);
    if (lseek(a, 0, SEEK_CUR) != 5000) FAIL("memfd offset %ld, not 5000", (long)lseek(a, 0, SEEK_CUR));
    if (lseek(a2, 0, SEEK_CUR) != 100) FAIL("second description's offset %ld, not 100", (long)lseek(a2, 0, SEEK_CUR));
    if ((fcntl(a2, F_GETFL) & O_ACCMODE) != O_RDONLY) FAIL("second description is not read-only");
    if (fcntl(a, F_GET_SEALS) != (F_SEAL_SHRINK | F_SEAL_GROW)) FAIL("seals %#x", fcntl(a, F_GET_SEALS));
    if (fcntl(b, F_GET_SEALS) != F_SEAL_SEAL) FAIL("unsealable memfd has seals %#x", fcntl(b, F_GET_SEALS));
    if (!(fcntl(b, F_GETFD) & FD_CLOEXEC)) FAIL("memfd lost FD_CLOEXEC");
    struct stat sa, sa2;
    fstat(a, &sa);
    fstat(a2, &sa2);
    if (sa.st_ino != sa2.st_ino) FAIL("the two descriptions are not one memfd any more");
    if (sa.st_size != 10000 || (sa.st_mode & 07777) != 0640) FAIL("size %ld mode %o", (long)sa.st_size, sa.st_mode & 07777);
    char got[10000];
    if (pread(a2, got, sizeof got, 0) != (ssize_t)sizeof got || memcmp(got, block, sizeof got)) FAIL("memfd contents");
    if (pwrite(a, "Z", 1, 0) != 1 || pread(a2, got, 1, 0) != 1 || got[0] != 'Z') FAIL("a write is not seen through the other description");
    if (ftruncate(a, 20000) == 0 || errno != EPERM) FAIL("F_SEAL_GROW not enforced");
    if (pread(b, got, 5, 0) != 5 || memcmp(got, "hello", 5)) FAIL("second memfd contents");
    if (map != MAP_FAILED && (map[0] != 'm' || map[8191] != 'm')) FAIL("memfd mapping contents");
    if (map != MAP_FAILED) {
        map[0] = 'W';
        if (pread(c, got, 1, 0) != 1 || got[0] != 'W') FAIL("memfd mapping no longer shared with the memfd");
    }
    finish();
    return 0;
}

/* ---- fifo ---- */
static int mode_fifo(void) {
    unlink("/tmp/fifo");
    if (mkfifo("/tmp/fifo", 0600)) FAIL("mkfifo");
    int rw = open("/tmp/fifo", O_RDWR);
    int ro = open("/tmp/fifo", O_RDONLY | O_NONBLOCK);
    int wo = open("/tmp/fifo", O_WRONLY | O_CLOEXEC);
    if (rw < 0 || ro < 0 || wo < 0) FAIL("open fifo %d %d %d", rw, ro, wo);
    if (write(wo, "in-flight-fifo", 14) != 14) FAIL("write fifo");
    ready();
    wait_usr1();
    if ((fcntl(rw, F_GETFL) & O_ACCMODE) != O_RDWR) FAIL("rw end is not O_RDWR");
    if ((fcntl(ro, F_GETFL) & (O_ACCMODE | O_NONBLOCK)) != (O_RDONLY | O_NONBLOCK)) FAIL("ro end flags %#x", fcntl(ro, F_GETFL));
    if ((fcntl(wo, F_GETFL) & O_ACCMODE) != O_WRONLY) FAIL("wo end is not O_WRONLY");
    if (!(fcntl(wo, F_GETFD) & FD_CLOEXEC)) FAIL("wo end lost FD_CLOEXEC");
    char buf[64];
    if (read(ro, buf, sizeof buf) != 14 || memcmp(buf, "in-flight-fifo", 14)) FAIL("data in flight lost");
    if (write(rw, "rw", 2) != 2 || read(ro, buf, sizeof buf) != 2) FAIL("write through the rw end not read by the ro end");
    if (write(wo, "wo", 2) != 2 || read(rw, buf, sizeof buf) != 2 || memcmp(buf, "wo", 2)) FAIL("write through the wo end not read by the rw end");
    struct stat st;
    if (fstat(ro, &st) || !S_ISFIFO(st.st_mode)) FAIL("not a FIFO");
    finish();
    return 0;
}

/* ---- unsupported objects: the checkpoint must refuse them ---- */
static int mode_unsupported(const char *kind) {
    int fd = -1;
    char msg[256];
    if (!strcmp(kind, "io_uring")) {
        struct io_uring_params p;
        memset(&p, 0, sizeof p);
        fd = (int)syscall(SYS_io_uring_setup, 4, &p);
    } else if (!strcmp(kind, "userfaultfd")) {
        fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | 1 /* UFFD_USER_MODE_ONLY */);
        if (fd < 0) fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC);
    } else if (!strcmp(kind, "fanotify")) {
        fd = fanotify_init(FAN_CLASS_NOTIF, O_RDONLY);
    } else if (!strcmp(kind, "perf_event")) {
        struct perf_event_attr a;
        memset(&a, 0, sizeof a);
        a.size = sizeof a;
        a.type = PERF_TYPE_SOFTWARE;
        a.config = PERF_COUNT_SW_TASK_CLOCK;
        a.exclude_kernel = 1;
        fd = (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, 0);
    } else if (!strcmp(kind, "epoll_closed")) {
        /* the registered fd is closed, its file lives on only in a child: still
         * registered, but no fd of the epoll's holder names it */
        int e = eventfd(0, 0);
        fd = epoll_create1(0);
        struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 1};
        epoll_ctl(fd, EPOLL_CTL_ADD, e, &ev);
        if (fork() == 0) {
            for (;;) pause();
        }
        close(e);
    } else if (!strcmp(kind, "memfd_closed")) {
        /* a memfd mapped shared, then its fd closed: only the mapping holds it */
        int m = memfd_create("mapped_then_closed", 0);
        if (m >= 0 && ftruncate(m, 4096) == 0) {
            char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, m, 0);
            if (p != MAP_FAILED) {
                p[0] = 'x';
                fd = INT_MAX; /* no fd: the mapping is the object ("READY -") */
            }
            close(m);
        }
    } else if (!strcmp(kind, "inotify_pending")) {
        mkdir("/tmp/wp", 0755);
        fd = inotify_init1(0);
        inotify_add_watch(fd, "/tmp/wp", IN_CREATE);
        close(open("/tmp/wp/x", O_CREAT | O_WRONLY, 0644));
    } else {
        fprintf(stderr, "objectswork: unknown object %s\n", kind);
        return 2;
    }
    if (fd < 0) snprintf(msg, sizeof msg, "NONE %s: %s\n", kind, strerror(errno));
    else if (fd == INT_MAX) snprintf(msg, sizeof msg, "READY -\n");
    else snprintf(msg, sizeof msg, "READY %d\n", fd);
    put_file("/shared/ready", msg);
    /* a counter shows the container still runs after the refused checkpoint */
    for (unsigned long i = 1;; ++i) {
        snprintf(msg, sizeof msg, "%lu\n", i);
        put_file("/shared/count", msg);
        sleep_ms(10);
    }
    return 0;
}

/* ---- grab: on the host, share a container fd's description ---- */
static int mode_grab(pid_t pid, int fd) {
    int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
    int got = pfd < 0 ? -1 : (int)syscall(SYS_pidfd_getfd, pfd, fd, 0);
    if (got < 0) { perror("objectswork grab"); return 1; }
    printf("%d\n", got);
    fflush(stdout);
    for (;;) pause();
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: objectswork MODE\n"); return 2; }
    const char *m = argv[1];
    if (!strcmp(m, "grab") && argc == 4) return mode_grab(atoi(argv[2]), atoi(argv[3]));
    install_usr1();
    if (!strcmp(m, "eventfd")) return mode_eventfd();
    if (!strcmp(m, "epoll")) return mode_epoll();
    if (!strcmp(m, "signalfd")) return mode_signalfd();
    if (!strcmp(m, "timerfd")) return mode_timerfd();
    if (!strcmp(m, "inotify")) return mode_inotify();
    if (!strcmp(m, "pidfd")) return mode_pidfd();
    if (!strcmp(m, "memfd")) return mode_memfd();
    if (!strcmp(m, "fifo")) return mode_fifo();
    if (!strcmp(m, "unsupported") && argc > 2) return mode_unsupported(argv[2]);
    fprintf(stderr, "objectswork: unknown mode %s\n", m);
    return 2;
}
