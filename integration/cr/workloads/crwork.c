/* Self-checking workloads for the container checkpoint/restore tests.
 *
 *   crwork MODE [ARG]
 *
 * Each mode sets up one kind of state, writes "READY" to /shared/ready and
 * then waits for SIGUSR1. On SIGUSR1 it verifies that state (after a
 * checkpoint and restore the state must be intact) and writes "PASS" or
 * "FAIL: why" to /shared/result. Only the "files" mode keeps files open; the
 * others open, write and close, so only stdio crosses their checkpoints.
 *
 * Modes:
 *   counter          a counter in memory, written to /shared/count every 10 ms
 *   memory MIB       MIB MiB of a position-dependent pattern, verified whole
 *   threads          4 threads, each advancing its own counter with TLS state
 *   forktree         children in their own session and group, a grandchild,
 *                    one in the init's group; each checks pid, ppid, pgid, sid
 *   signals          blocked pending signals (shared, per thread, a queued
 *                    realtime signal with its value) still pending, and a
 *                    SIGTRAP handler (flags and mask) still installed and run
 *   sigtrap          SIGTRAP pending in the init and ignored in its child:
 *                    both intact (restore must not stop tasks at an int3 then)
 *   seccomp          a filter that makes getppid fail with errno 77 is still
 *                    enforced
 *   files            a file with an offset, an O_APPEND file, a deleted open
 *                    file, a pipe to a child with data in flight, a shared
 *                    file mapping (needs the files layer)
 *   sleep            just waits (for benchmarks and failure tests)
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "workload.h"



static void ready(void) { put_file("/shared/ready", "READY\n"); }

static void result(int ok, const char *why) {
    char buf[512];
    snprintf(buf, sizeof buf, "%s%s\n", ok ? "PASS" : "FAIL: ", ok ? "" : why);
    put_file("/shared/result", buf);
}

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR && !got_usr1) {
    }
}

static void wait_usr1(void) {
    while (!got_usr1) sleep_ms(20);
}

/* ---- counter ---- */
static int mode_counter(void) {
    install_usr1();
    unsigned long long count = 0;
    char buf[64];
    ready();
    for (;;) {
        ++count;
        snprintf(buf, sizeof buf, "%llu\n", count);
        put_file("/shared/count", buf);
        sleep_ms(10);
        if (got_usr1) {
            got_usr1 = 0;
            result(count > 0, "counter lost");
        }
    }
    return 0;
}

/* ---- memory ---- */
static uint64_t pattern(uint64_t off, uint64_t seed) {
    uint64_t x = off * 0x9E3779B97F4A7C15ull ^ seed;
    x ^= x >> 29;
    return x * 0xBF58476D1CE4E5B9ull;
}

static int mode_memory(long mib) {
    install_usr1();
    size_t len = (size_t)mib << 20;
    uint64_t *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) { result(0, "mmap"); return 1; }
    uint64_t seed = (uint64_t)time(NULL);
    for (size_t i = 0; i < len / 8; ++i) p[i] = pattern(i, seed);
    /* a read-only region and a hole: protections and unpopulated pages survive */
    char *ro = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset(ro, 0x5a, 4096);
    memset(ro + 2 * 4096, 0xa5, 4096);
    mprotect(ro, 3 * 4096, PROT_READ);
    ready();
    wait_usr1();
    char why[256] = "";
    for (size_t i = 0; i < len / 8; ++i)
        if (p[i] != pattern(i, seed)) {
            snprintf(why, sizeof why, "word %zu of %zu differs", i, len / 8);
            break;
        }
    if (!why[0] && (ro[0] != 0x5a || ro[4096] != 0 || ro[2 * 4096] != (char)0xa5)) snprintf(why, sizeof why, "read-only region differs");
    result(!why[0], why);
    for (;;) sleep_ms(1000);
    return 0;
}

/* ---- threads ---- */
#define NTHREADS 4
static __thread uint64_t tls_value;
static volatile uint64_t thread_count[NTHREADS];
static volatile int thread_bad[NTHREADS];

static void *thread_main(void *arg) {
    long id = (long)arg;
    tls_value = 0x1000 + (uint64_t)id;
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    for (;;) {
        if (tls_value != 0x1000 + (uint64_t)id) thread_bad[id] = 1;
        thread_count[id]++;
        sleep_ms(5);
    }
    return NULL;
}

static int mode_threads(void) {
    install_usr1();
    pthread_t t[NTHREADS];
    for (long i = 0; i < NTHREADS; ++i) pthread_create(&t[i], NULL, thread_main, (void *)i);
    tls_value = 0xabc;
    ready();
    wait_usr1();
    uint64_t before[NTHREADS];
    for (int i = 0; i < NTHREADS; ++i) before[i] = thread_count[i];
    sleep_ms(300);
    char why[256] = "";
    for (int i = 0; i < NTHREADS && !why[0]; ++i) {
        if (thread_count[i] <= before[i]) snprintf(why, sizeof why, "thread %d stopped at %llu", i, (unsigned long long)before[i]);
        else if (thread_bad[i]) snprintf(why, sizeof why, "thread %d saw its TLS change", i);
    }
    if (!why[0] && tls_value != 0xabc) snprintf(why, sizeof why, "main thread TLS changed");
    /* every thread still exists */
    int n = 0;
    DIR *d = opendir("/proc/self/task");
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (e->d_name[0] != '.') ++n;
    if (d) closedir(d);
    if (!why[0] && n != NTHREADS + 1) snprintf(why, sizeof why, "%d threads instead of %d", n, NTHREADS + 1);
    result(!why[0], why);
    for (;;) sleep_ms(1000);
    return 0;
}

/* ---- forktree ---- */
struct ids { pid_t pid, ppid, pgid, sid; };
static struct ids my_ids(void) {
    struct ids i = {getpid(), getppid(), getpgid(0), getsid(0)};
    return i;
}

static int child_loop(void) {
    struct ids want = my_ids();
    install_usr1();
    wait_usr1();
    struct ids now = my_ids();
    return memcmp(&want, &now, sizeof want) == 0 ? 0 : 1;
}

static int mode_forktree(void) {
    install_usr1();
    sigset_t usr1;
    sigemptyset(&usr1);
    pid_t kids[4];
    int n = 0;
    pid_t a = fork();          /* own session, with a grandchild in its group */
    if (a == 0) {
        setsid();
        pid_t g = fork();
        if (g == 0) _exit(child_loop());
        struct ids want = my_ids();
        install_usr1();
        wait_usr1();
        kill(g, SIGUSR1);
        int st = 0;
        waitpid(g, &st, 0);
        struct ids now = my_ids();
        _exit(memcmp(&want, &now, sizeof want) == 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 1);
    }
    kids[n++] = a;
    pid_t b = fork();          /* own process group */
    if (b == 0) {
        setpgid(0, 0);
        _exit(child_loop());
    }
    kids[n++] = b;
    pid_t c = fork();          /* in the init's group */
    if (c == 0) _exit(child_loop());
    kids[n++] = c;
    pid_t d = fork();          /* joins b's group */
    if (d == 0) {
        sleep_ms(100);
        setpgid(0, b);
        _exit(child_loop());
    }
    kids[n++] = d;
    sleep_ms(300);
    struct ids want = my_ids();
    ready();
    wait_usr1();
    for (int i = 0; i < n; ++i) kill(kids[i], SIGUSR1);
    char why[256] = "";
    for (int i = 0; i < n; ++i) {
        int st = 0;
        if (waitpid(kids[i], &st, 0) != kids[i] || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
            if (!why[0]) snprintf(why, sizeof why, "child %d (pid %d) status %#x", i, (int)kids[i], st);
    }
    struct ids now = my_ids();
    if (!why[0] && memcmp(&want, &now, sizeof want) != 0) snprintf(why, sizeof why, "init ids changed");
    result(!why[0], why);
    for (;;) sleep_ms(1000);
    return 0;
}

/* ---- signals ---- */
static volatile sig_atomic_t traps;
static void on_trap(int sig, siginfo_t *si, void *uc) { (void)sig; (void)si; (void)uc; ++traps; }

/* Installed before the checkpoint; after restore it must be the same
 * handler with the same flags and mask, and it must run. */
static void install_trap_handler(void) {
    struct sigaction sa = {0};
    sa.sa_sigaction = on_trap;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGHUP);
    sigaction(SIGTRAP, &sa, NULL);
}

static const char *trap_handler_intact(void) {
    struct sigaction now;
    sigaction(SIGTRAP, NULL, &now);
    if (now.sa_sigaction != on_trap) return "SIGTRAP handler lost";
    if (!(now.sa_flags & SA_SIGINFO) || !(now.sa_flags & SA_RESTART)) return "SIGTRAP handler flags changed";
    if (!sigismember(&now.sa_mask, SIGHUP) || sigismember(&now.sa_mask, SIGINT)) return "SIGTRAP handler mask changed";
    raise(SIGTRAP);
    return traps == 1 ? NULL : "SIGTRAP handler did not run";
}

static int mode_signals(void) {
    install_usr1();
    install_trap_handler();
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR2);
    sigaddset(&block, SIGRTMIN + 2);
    sigaddset(&block, SIGWINCH);
    sigprocmask(SIG_BLOCK, &block, NULL);
    kill(getpid(), SIGUSR2);                          /* shared pending */
    union sigval v = {.sival_int = 4242};
    sigqueue(getpid(), SIGRTMIN + 2, v);              /* queued with a value */
    syscall(SYS_tgkill, getpid(), gettid(), SIGWINCH); /* per thread */
    ready();
    wait_usr1();
    char why[256] = "";
    sigset_t pend;
    sigpending(&pend);
    if (!sigismember(&pend, SIGUSR2)) snprintf(why, sizeof why, "SIGUSR2 no longer pending");
    else if (!sigismember(&pend, SIGWINCH)) snprintf(why, sizeof why, "SIGWINCH no longer pending");
    else if (!sigismember(&pend, SIGRTMIN + 2)) snprintf(why, sizeof why, "SIGRTMIN+2 no longer pending");
    if (!why[0]) {
        sigset_t rt;
        sigemptyset(&rt);
        sigaddset(&rt, SIGRTMIN + 2);
        siginfo_t si;
        struct timespec zero = {0, 0};
        if (sigtimedwait(&rt, &si, &zero) != SIGRTMIN + 2) snprintf(why, sizeof why, "sigtimedwait failed");
        else if (si.si_value.sival_int != 4242) snprintf(why, sizeof why, "queued value %d, not 4242", si.si_value.sival_int);
    }
    const char *trap = why[0] ? NULL : trap_handler_intact();
    if (trap) snprintf(why, sizeof why, "%s", trap);
    sigprocmask(SIG_BLOCK, &block, NULL);
    result(!why[0], why);
    for (;;) sleep_ms(1000);
    return 0;
}

/* ---- sigtrap ---- */
static int mode_sigtrap(void) {
    install_usr1();
    int ready_pipe[2];
    if (pipe(ready_pipe) != 0) { result(0, "pipe"); return 1; }
    pid_t child = fork();
    if (child == 0) {
        signal(SIGTRAP, SIG_IGN);
        close(ready_pipe[0]);
        close(ready_pipe[1]); /* the parent's read sees EOF: ignoring is in place */
        wait_usr1();
        struct sigaction now;
        sigaction(SIGTRAP, NULL, &now);
        if (now.sa_handler != SIG_IGN) _exit(1);
        raise(SIGTRAP); /* ignored: nothing happens */
        _exit(0);
    }
    close(ready_pipe[1]);
    char c;
    while (read(ready_pipe[0], &c, 1) > 0) {}
    close(ready_pipe[0]);
    sigset_t trap;
    sigemptyset(&trap);
    sigaddset(&trap, SIGTRAP);
    sigprocmask(SIG_BLOCK, &trap, NULL);
    raise(SIGTRAP); /* stays pending */
    ready();
    wait_usr1();
    char why[256] = "";
    sigset_t pend;
    sigpending(&pend);
    if (!sigismember(&pend, SIGTRAP)) snprintf(why, sizeof why, "SIGTRAP no longer pending in the init");
    kill(child, SIGUSR1);
    int st = 0;
    if (waitpid(child, &st, 0) != child || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
        if (!why[0]) snprintf(why, sizeof why, "child: SIGTRAP no longer ignored (status %#x)", st);
    result(!why[0], why);
    for (;;) sleep_ms(1000);
    return 0;
}

/* ---- seccomp ---- */
static int mode_seccomp(void) {
    install_usr1();
    struct sock_filter prog[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 77),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog fprog = {sizeof prog / sizeof prog[0], prog};
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) != 0) { result(0, "seccomp install"); return 1; }
    errno = 0;
    long r = syscall(SYS_getppid);
    if (r != -1 || errno != 77) { result(0, "filter not active before checkpoint"); return 1; }
    ready();
    wait_usr1();
    errno = 0;
    r = syscall(SYS_getppid);
    result(r == -1 && errno == 77, "getppid no longer fails with errno 77: filter lost");
    for (;;) sleep_ms(1000);
}

/* ---- files ---- */
static int mode_files(void) {
    install_usr1();
    char block[10000];
    for (size_t i = 0; i < sizeof block; ++i) block[i] = (char)('a' + i % 26);
    int a = open("/tmp/crwork-data", O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (a < 0 || write(a, block, sizeof block) != (ssize_t)sizeof block) { result(0, "data file"); return 1; }
    lseek(a, 1234, SEEK_SET);
    int b = open("/tmp/crwork-append", O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
    if (b < 0 || write(b, "abc", 3) != 3) { result(0, "append file"); return 1; }
    int c = open("/tmp/crwork-deleted", O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (c < 0 || write(c, "deleted-contents", 16) != 16) { result(0, "deleted file"); return 1; }
    unlink("/tmp/crwork-deleted");
    int m = open("/tmp/crwork-mapped", O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (m < 0 || ftruncate(m, 8192) != 0) { result(0, "mapped file"); return 1; }
    char *map = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, m, 0);
    if (map == MAP_FAILED) { result(0, "mmap file"); return 1; }
    memset(map, 'M', 8192);
    memset(map, 'N', 4096);
    close(m);
    int p[2];
    if (pipe(p) != 0) { result(0, "pipe"); return 1; }
    pid_t child = fork();
    if (child == 0) {
        close(p[1]);
        install_usr1();
        wait_usr1();
        char buf[64] = "";
        ssize_t n = read(p[0], buf, sizeof buf - 1);
        _exit(n == 14 && memcmp(buf, "in-flight-data", 14) == 0 ? 0 : 1);
    }
    close(p[0]);
    if (write(p[1], "in-flight-data", 14) != 14) { result(0, "pipe write"); return 1; }
    ready();
    wait_usr1();
    kill(child, SIGUSR1);
    char why[256] = "";
    char got[10];
    if (lseek(a, 0, SEEK_CUR) != 1234) snprintf(why, sizeof why, "data file offset %ld, not 1234", (long)lseek(a, 0, SEEK_CUR));
    else if (read(a, got, 10) != 10 || memcmp(got, block + 1234, 10) != 0) snprintf(why, sizeof why, "data file contents");
    else if (!(fcntl(b, F_GETFL) & O_APPEND)) snprintf(why, sizeof why, "O_APPEND lost");
    else if (pread(c, got, 10, 0) != 10 || memcmp(got, "deleted-co", 10) != 0) snprintf(why, sizeof why, "deleted file contents");
    else if (map[0] != 'N' || map[4095] != 'N' || map[4096] != 'M') snprintf(why, sizeof why, "shared file mapping contents");
    int st = 0;
    if (!why[0] && (waitpid(child, &st, 0) != child || !WIFEXITED(st) || WEXITSTATUS(st) != 0))
        snprintf(why, sizeof why, "pipe reader child status %#x (data in flight lost?)", st);
    result(!why[0], why);
    for (;;) sleep_ms(1000);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: crwork MODE [ARG]\n"); return 2; }
    const char *m = argv[1];
    if (!strcmp(m, "counter")) return mode_counter();
    if (!strcmp(m, "memory")) return mode_memory(argc > 2 ? atol(argv[2]) : 8);
    if (!strcmp(m, "threads")) return mode_threads();
    if (!strcmp(m, "forktree")) return mode_forktree();
    if (!strcmp(m, "signals")) return mode_signals();
    if (!strcmp(m, "sigtrap")) return mode_sigtrap();
    if (!strcmp(m, "seccomp")) return mode_seccomp();
    if (!strcmp(m, "files")) return mode_files();
    if (!strcmp(m, "sleep")) { install_usr1(); ready(); for (;;) sleep_ms(1000); }
    fprintf(stderr, "crwork: unknown mode %s\n", m);
    return 2;
}
