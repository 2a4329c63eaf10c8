/* Self-checking workloads for the files area of the C/R tests: deleted
 * files, O_PATH fds, file owners and async signals.
 *
 *   fileswork MODE
 *
 * As objectswork.c: each mode sets up its state, writes "READY" to
 * /shared/ready, waits for SIGUSR1, checks the state (after a checkpoint and
 * restore it must be intact) and writes "PASS" or "FAIL: why" to /shared/result.
 *
 * Modes:
 *   deleted   a sparse deleted file (data at 0 and 8 MiB, 16 MiB long) with
 *             mode, owner and times set, open through two descriptions of the
 *             init and one of a child, each at its own offset; a file renamed
 *             over while open; a file whose mtime was set with utimensat
 *   opath     O_PATH fds on a symlink itself, a directory and a file; a
 *             directory removed while open (O_RDONLY and O_PATH)
 *   owner     O_ASYNC pipes owned by the init (F_SETSIG to a realtime signal)
 *             and by a child (SIGIO), a socketpair owned by the init's thread
 *             (F_SETOWN_EX F_OWNER_TID); each signal arrives after restore
 *   epoll     epoll registrations whose fd number the task closed (an eventfd
 *             kept by a dup) or gave to another file (a pipe's read end, the
 *             number now /dev/null): both fire after restore, the numbers
 *             stay closed or /dev/null
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "workload.h"

static char why[512];
#define FAIL(...) do { if (!why[0]) snprintf(why, sizeof why, __VA_ARGS__); } while (0)

static void ready(void) { put_file("/shared/ready", "READY\n"); }

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static void wait_usr1(void) {
    while (!got_usr1) sleep_ms(20);
}

static void finish(void) {
    char buf[600];
    snprintf(buf, sizeof buf, "%s%s\n", why[0] ? "FAIL: " : "PASS", why);
    put_file("/shared/result", buf);
    for (;;) sleep_ms(1000);
}

static void write_at(int fd, const char *s, off_t off) {
    if (pwrite(fd, s, strlen(s), off) != (ssize_t)strlen(s)) FAIL("pwrite at %lld: %s", (long long)off, strerror(errno));
}

static int read_is(int fd, off_t off, const char *want) {
    char buf[64] = {0};
    size_t n = strlen(want);
    return pread(fd, buf, n, off) == (ssize_t)n && memcmp(buf, want, n) == 0;
}

/* ---- deleted ---- */
#define MIB (1024L * 1024)
static int mode_deleted(void) {
    int a = open("/tmp/sparse", O_RDWR | O_CREAT | O_TRUNC, 0600);
    int b = open("/tmp/sparse", O_RDONLY);
    int c = open("/tmp/sparse", O_WRONLY); /* the child's own description */
    if (a < 0 || b < 0 || c < 0) FAIL("open /tmp/sparse: %s", strerror(errno));
    write_at(a, "head", 0);
    write_at(a, "tail", 8 * MIB);
    if (ftruncate(a, 16 * MIB)) FAIL("ftruncate: %s", strerror(errno));
    struct timespec times[2] = {{1500000000, 500000000}, {1000000000, 123456789}};
    if (fchmod(a, 0640) || futimens(a, times)) FAIL("fchmod/futimens: %s", strerror(errno));
    if (fchown(a, 1234, 5678)) FAIL("fchown: %s", strerror(errno)); /* last: then it is no longer ours */
    lseek(a, 10, SEEK_SET);
    lseek(b, 8 * MIB, SEEK_SET);
    if (unlink("/tmp/sparse")) FAIL("unlink: %s", strerror(errno));

    /* renamed over: the open file loses its name to another */
    int r = open("/tmp/over", O_RDWR | O_CREAT | O_TRUNC, 0644);
    write_at(r, "old contents", 0);
    int n = open("/tmp/over.new", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    write_at(n, "new", 0);
    close(n);
    if (rename("/tmp/over.new", "/tmp/over")) FAIL("rename: %s", strerror(errno));

    /* mtime set with utimensat on a file that keeps its name */
    close(open("/tmp/kept", O_WRONLY | O_CREAT | O_TRUNC, 0644));
    struct timespec kt[2] = {{UTIME_OMIT, 0}, {1234567890, 987654321}};
    if (utimensat(AT_FDCWD, "/tmp/kept", kt, 0)) FAIL("utimensat: %s", strerror(errno));

    /* the child: shares a by fork, has its own description c; it answers
     * over a pipe what it reads once the init has written after restore */
    int req[2], ans[2];
    if (pipe(req) || pipe(ans)) FAIL("pipe: %s", strerror(errno));
    pid_t child = fork();
    if (child == 0) {
        close(req[1]);
        close(ans[0]);
        char x;
        if (read(req[0], &x, 1) != 1) _exit(1);
        const char *verdict = "ok";
        struct stat sa, sc;
        if (fstat(a, &sa) || fstat(c, &sc) || sa.st_ino != sc.st_ino) verdict = "child: its fds are not on one inode";
        else if (lseek(a, 0, SEEK_CUR) != 13) verdict = "child: the shared offset of a is not 13";
        else if (lseek(c, 0, SEEK_CUR) != 0) verdict = "child: its own description moved";
        else if (pwrite(c, "kid", 3, 300) != 3) verdict = "child: write through its own description failed";
        if (write(ans[1], verdict, strlen(verdict) + 1) < 0) _exit(1);
        for (;;) pause();
    }
    close(req[0]);
    close(ans[1]);
    close(c);
    ready();
    wait_usr1();

    struct stat st;
    if (fstat(a, &st)) FAIL("fstat a: %s", strerror(errno));
    if (st.st_nlink != 0) FAIL("the deleted file has %lu links", (unsigned long)st.st_nlink);
    if (st.st_size != 16 * MIB) FAIL("size %lld, not 16 MiB", (long long)st.st_size);
    if ((long long)st.st_blocks * 512 >= 2 * MIB) FAIL("holes lost: %lld blocks allocated", (long long)st.st_blocks);
    if ((st.st_mode & 07777) != 0640) FAIL("mode %o, not 0640", st.st_mode & 07777);
    if (st.st_uid != 1234 || st.st_gid != 5678) FAIL("owner %u:%u, not 1234:5678", st.st_uid, st.st_gid);
    if (st.st_mtim.tv_sec != 1000000000 || st.st_mtim.tv_nsec != 123456789)
        FAIL("mtime %lld.%09ld", (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    if (st.st_atim.tv_sec != 1500000000 || st.st_atim.tv_nsec != 500000000)
        FAIL("atime %lld.%09ld", (long long)st.st_atim.tv_sec, st.st_atim.tv_nsec);
    if (lseek(a, 0, SEEK_CUR) != 10) FAIL("offset of a %lld, not 10", (long long)lseek(a, 0, SEEK_CUR));
    if (lseek(b, 0, SEEK_CUR) != 8 * MIB) FAIL("offset of b %lld, not 8 MiB", (long long)lseek(b, 0, SEEK_CUR));
    if ((fcntl(b, F_GETFL) & O_ACCMODE) != O_RDONLY) FAIL("b is not read-only");
    if (!read_is(b, 0, "head") || !read_is(b, 8 * MIB, "tail")) FAIL("contents at 0 or 8 MiB lost");
    char zero[16] = {0}, got[16];
    if (pread(b, got, 16, 4 * MIB) != 16 || memcmp(got, zero, 16)) FAIL("the hole at 4 MiB is not zeros");
    struct stat sb;
    if (fstat(b, &sb) || sb.st_ino != st.st_ino) FAIL("a and b are not one inode any more");
    if (write(a, "new", 3) != 3) FAIL("write a");
    if (!read_is(b, 10, "new")) FAIL("a write through a is not seen through b");
    if (write(req[1], "x", 1) != 1) FAIL("poke child");
    char verdict[128] = {0};
    if (read(ans[0], verdict, sizeof verdict - 1) <= 0) FAIL("no answer from the child");
    else if (strcmp(verdict, "ok")) FAIL("%s", verdict);
    else if (!read_is(b, 300, "kid")) FAIL("the child's write is not seen by the init");

    struct stat so, sn;
    if (fstat(r, &so) || stat("/tmp/over", &sn)) FAIL("stat over: %s", strerror(errno));
    else if (so.st_nlink != 0 || so.st_ino == sn.st_ino) FAIL("the renamed-over file is not the deleted one");
    if (!read_is(r, 0, "old contents")) FAIL("the renamed-over file lost its contents");
    int nf = open("/tmp/over", O_RDONLY);
    if (!read_is(nf, 0, "new")) FAIL("the file that took its name changed");
    close(nf);

    struct stat sk;
    if (stat("/tmp/kept", &sk) || sk.st_mtim.tv_sec != 1234567890 || sk.st_mtim.tv_nsec != 987654321)
        FAIL("mtime of /tmp/kept %lld.%09ld", (long long)sk.st_mtim.tv_sec, sk.st_mtim.tv_nsec);
    kill(child, SIGKILL);
    finish();
    return 0;
}

/* ---- opath ---- */
static int mode_opath(void) {
    mkdir("/tmp/pdir", 0755);
    int t = open("/tmp/pdir/target", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    write_at(t, "T", 0);
    close(t);
    unlink("/tmp/pdir/link");
    if (symlink("target", "/tmp/pdir/link")) FAIL("symlink: %s", strerror(errno));
    int sl = open("/tmp/pdir/link", O_PATH | O_NOFOLLOW);
    int dir = open("/tmp/pdir", O_PATH | O_DIRECTORY);
    int file = open("/tmp/pdir/target", O_PATH);
    mkdir("/tmp/gone", 0710);
    int gone = open("/tmp/gone", O_RDONLY | O_DIRECTORY);
    int gone_path = open("/tmp/gone", O_PATH);
    if (sl < 0 || dir < 0 || file < 0 || gone < 0 || gone_path < 0) FAIL("open: %s", strerror(errno));
    if (rmdir("/tmp/gone")) FAIL("rmdir: %s", strerror(errno));
    ready();
    wait_usr1();

    struct stat st;
    if (!(fcntl(sl, F_GETFL) & O_PATH) || !(fcntl(dir, F_GETFL) & O_PATH) || !(fcntl(file, F_GETFL) & O_PATH))
        FAIL("an O_PATH fd lost O_PATH");
    if (fstatat(sl, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) || !S_ISLNK(st.st_mode)) FAIL("the symlink fd is not a symlink");
    char target[64] = {0};
    if (readlinkat(sl, "", target, sizeof target - 1) != 6 || strcmp(target, "target")) FAIL("readlinkat gives '%s'", target);
    int in = openat(dir, "target", O_RDONLY);
    if (in < 0 || !read_is(in, 0, "T")) FAIL("openat through the O_PATH directory fd");
    close(in);
    char buf[4];
    if (read(file, buf, 1) != -1 || errno != EBADF) FAIL("an O_PATH fd can be read");
    char self[64];
    snprintf(self, sizeof self, "/proc/self/fd/%d", file);
    in = open(self, O_RDONLY);
    if (in < 0 || !read_is(in, 0, "T")) FAIL("reopening the O_PATH file fd");
    close(in);
    struct stat g, gp;
    if (fstat(gone, &g) || !S_ISDIR(g.st_mode) || g.st_nlink != 0) FAIL("the removed directory fd is not a removed directory");
    if ((g.st_mode & 07777) != 0710) FAIL("the removed directory has mode %o", g.st_mode & 07777);
    if (fstat(gone_path, &gp) || gp.st_ino != g.st_ino) FAIL("the two fds of the removed directory are not one inode");
    if (!(fcntl(gone_path, F_GETFL) & O_PATH)) FAIL("the O_PATH fd of the removed directory lost O_PATH");
    if (openat(gone, "x", O_CREAT | O_WRONLY, 0644) != -1 || errno != ENOENT) FAIL("a file could be made in the removed directory");
    finish();
    return 0;
}

/* ---- owner ---- */
static volatile sig_atomic_t rt_count, rt_fd = -1, io_count;
static void on_rt(int sig, siginfo_t *si, void *u) {
    (void)sig;
    (void)u;
    rt_count++;
    rt_fd = si->si_fd;
}
static void on_io(int sig) {
    (void)sig;
    io_count++;
}

static int mode_owner(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_rt;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigaction(SIGRTMIN + 2, &sa, NULL);
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_io;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGIO, &sa, NULL);

    int self[2], kid[2], sp[2], ans[2];
    if (pipe(self) || pipe(kid) || pipe(ans) || socketpair(AF_UNIX, SOCK_STREAM, 0, sp)) FAIL("pipe: %s", strerror(errno));
    pid_t child = fork();
    if (child == 0) {
        /* the child owns kid[0]; it reports how many SIGIOs it got once the init wrote */
        close(ans[0]);
        char x;
        while (io_count == 0) sleep_ms(10);
        if (read(kid[0], &x, 1) != 1) _exit(1);
        char msg[32];
        snprintf(msg, sizeof msg, "%d", (int)io_count);
        if (write(ans[1], msg, strlen(msg) + 1) < 0) _exit(1);
        for (;;) pause();
    }
    close(ans[1]);
    fcntl(self[0], F_SETOWN, getpid());
    fcntl(self[0], F_SETSIG, SIGRTMIN + 2);
    fcntl(self[0], F_SETFL, O_ASYNC | O_NONBLOCK);
    fcntl(kid[0], F_SETOWN, child);
    fcntl(kid[0], F_SETFL, O_ASYNC);
    struct f_owner_ex own = {F_OWNER_TID, (pid_t)syscall(SYS_gettid)};
    fcntl(sp[0], F_SETOWN_EX, &own);
    fcntl(sp[0], F_SETFL, O_ASYNC | O_NONBLOCK);
    ready();
    wait_usr1();

    if (fcntl(self[0], F_GETOWN) != getpid()) FAIL("owner of the pipe %d, not %d", fcntl(self[0], F_GETOWN), getpid());
    if (fcntl(self[0], F_GETSIG) != SIGRTMIN + 2) FAIL("F_GETSIG %d", fcntl(self[0], F_GETSIG));
    if (!(fcntl(self[0], F_GETFL) & O_ASYNC)) FAIL("the pipe lost O_ASYNC");
    if (fcntl(kid[0], F_GETOWN) != child) FAIL("owner of the child's pipe %d, not %d", fcntl(kid[0], F_GETOWN), child);
    struct f_owner_ex got = {0, 0};
    fcntl(sp[0], F_GETOWN_EX, &got);
    if (got.type != F_OWNER_TID || got.pid != own.pid) FAIL("socket owner %d/%d, not thread %d", got.type, got.pid, own.pid);
    if (!(fcntl(sp[0], F_GETFL) & O_ASYNC)) FAIL("the socket lost O_ASYNC");

    int before_io = io_count;
    if (write(self[1], "a", 1) != 1) FAIL("write self");
    for (int i = 0; i < 200 && rt_count == 0; ++i) sleep_ms(10);
    if (rt_count == 0) FAIL("no realtime signal after a write to the owned pipe");
    else if (rt_fd != self[0]) FAIL("the signal names fd %d, not %d", (int)rt_fd, self[0]);
    if (write(sp[1], "b", 1) != 1) FAIL("write socket");
    for (int i = 0; i < 200 && io_count == before_io; ++i) sleep_ms(10);
    if (io_count == before_io) FAIL("no SIGIO after a write to the owned socket");
    if (write(kid[1], "c", 1) != 1) FAIL("write kid");
    char msg[32] = {0};
    struct pollfd pf = {ans[0], POLLIN, 0};
    if (poll(&pf, 1, 3000) != 1 || read(ans[0], msg, sizeof msg - 1) <= 0 || atoi(msg) < 1)
        FAIL("the child got no SIGIO (%s)", msg);
    kill(child, SIGKILL);
    finish();
    return 0;
}

/* ---- epoll ---- */
static int has_tfd(int ep, int tfd) {
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/self/fdinfo/%d", ep);
    FILE *f = fopen(path, "re");
    int found = 0, n;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "tfd: %d", &n) == 1 && n == tfd) found = 1;
    if (f) fclose(f);
    return found;
}

static int mode_epoll(void) {
    int ep = epoll_create1(0);
    int e = eventfd(0, EFD_NONBLOCK);
    int p[2];
    if (pipe(p)) FAIL("pipe"); /* made first: its numbers differ from e's */
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 7};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, e, &ev)) FAIL("add eventfd: %s", strerror(errno));
    /* The copies sit at high numbers, so neither takes a number checked below. */
    int keep = fcntl(e, F_DUPFD, 100);
    close(e); /* still registered under number e: the file lives on as keep */
    ev.data.u64 = 8;
    if (epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev)) FAIL("add pipe: %s", strerror(errno));
    int keep2 = fcntl(p[0], F_DUPFD, 100);
    int null = open("/dev/null", O_RDONLY);
    dup2(null, p[0]); /* the number now names /dev/null */
    close(null);
    ready();
    wait_usr1();

    if (!has_tfd(ep, e) || !has_tfd(ep, p[0])) FAIL("a registration is missing from fdinfo");
    if (fcntl(e, F_GETFD) != -1 || errno != EBADF) FAIL("fd %d is open again", e);
    struct stat st;
    if (fstat(p[0], &st) || !S_ISCHR(st.st_mode)) FAIL("fd %d is no longer /dev/null", p[0]);
    struct epoll_event out[4];
    if (epoll_wait(ep, out, 4, 0) != 0) FAIL("events before any write");
    uint64_t one = 1;
    if (write(keep, &one, 8) != 8) FAIL("write eventfd");
    int n = epoll_wait(ep, out, 4, 1000);
    if (n != 1 || out[0].data.u64 != 7) FAIL("eventfd write gave %d events (data %llu)", n, n > 0 ? (unsigned long long)out[0].data.u64 : 0ULL);
    if (read(keep, &one, 8) != 8) FAIL("read eventfd");
    if (write(p[1], "x", 1) != 1) FAIL("write pipe");
    n = epoll_wait(ep, out, 4, 1000);
    if (n != 1 || out[0].data.u64 != 8) FAIL("pipe write gave %d events (data %llu)", n, n > 0 ? (unsigned long long)out[0].data.u64 : 0ULL);
    (void)keep2;
    finish();
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: fileswork MODE\n"); return 2; }
    const char *m = argv[1];
    install_usr1();
    if (!strcmp(m, "deleted")) return mode_deleted();
    if (!strcmp(m, "opath")) return mode_opath();
    if (!strcmp(m, "owner")) return mode_owner();
    if (!strcmp(m, "epoll")) return mode_epoll();
    fprintf(stderr, "fileswork: unknown mode %s\n", m);
    return 2;
}
