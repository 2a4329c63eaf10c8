/* Self-checking workloads for the fidelity of processes and memory across
 * checkpoint/restore (issue 20).
 *
 *   procwork MODE
 *
 * Like crwork: each mode sets up its state, writes "READY" to /shared/ready,
 * waits for SIGUSR1, verifies the state and writes "PASS" or "FAIL: why" to
 * /shared/result. The checks never wait without a deadline: a thread that is
 * not woken makes the verdict FAIL naming it instead of hanging the test.
 *
 * Modes:
 *   sync    threads blocked at the checkpoint in pthread_join (on a thread
 *           that waits on a condition variable), raw FUTEX_WAIT and
 *           FUTEX_WAIT_BITSET with and without a timeout, a robust mutex
 *           whose owner exits holding it (the next locker gets EOWNERDEAD),
 *           a PI mutex with a blocked locker, and a thread parked inside a
 *           signal handler on its sigaltstack: after restore each one
 *           completes its next synchronisation, the handler returns normally,
 *           and each thread's sigaltstack, blocked mask, pending signal and
 *           rseq registration are as they were
 *   maps N  N separate anonymous mappings (alternating protections so none
 *           merge), each page stamped with its index: all there after restore
 *           with their contents
 *   zombies unreaped children: one exited with 42, one killed by SIGTERM, one
 *           that leads a process group a live child joined, exited with 7; the
 *           init's SIGCHLD is blocked and pending. A worker child with a
 *           SIGCHLD handler has its own zombie and had already taken its
 *           SIGCHLD. After restore: the zombies are there with the same pids,
 *           group and statuses for waitpid, SIGCHLD is still pending, and the
 *           worker got no second SIGCHLD
 *   orphans a session whose leader exited (its member, now the init's child,
 *           keeps session and group), a group whose leader exited (two
 *           members, one the other's child), and a child moved into a
 *           sibling's group after fork: same ids after restore, the leaders
 *           are still gone, nothing left to reap and no SIGCHLD pending
 *   sharedanon a MAP_SHARED|MAP_ANONYMOUS region of 4 pages shared with a
 *           forked child that unmapped its first page (so its mapping starts
 *           inside the object): after restore a write by either is seen by
 *           the other, and the contents written before are there
 *   tuning  the init at nice 5, a thread at SCHED_BATCH nice 10, oom_score_adj
 *           500, THP disabled; a child subreaper whose seccomp filter fakes
 *           PR_GET_CHILD_SUBREAPER (returns 0, writes nothing): after restore
 *           all of it holds, the child still adopts an orphaned grandchild
 *           (the checkpoint read the real value, past the filter) and its
 *           filter still fakes the prctl
 *   madvise ranges advised MADV_DONTFORK, MADV_WIPEONFORK, MADV_HUGEPAGE,
 *           MADV_NOHUGEPAGE and MADV_DONTDUMP, an mlocked range and a
 *           MAP_GROWSDOWN stack, each stamped: after restore the contents are
 *           there, a fork leaves the DONTFORK range out of the child and
 *           gives it the WIPEONFORK range zeroed, and the locked range is
 *           still locked (VmLck)
 *   cow     a 64 MiB parent, every page stamped, forks 3 children that keep
 *           most of it shared copy-on-write; each child writes 4 pages of its
 *           own and drops one page (MADV_DONTNEED). After restore each child
 *           reads the parent's stamps, its own pages and a zero page where it
 *           dropped one, a write by the parent after restore is not seen by
 *           any child, and a child's write is not seen by the parent
 *   caps    the init (one thread) copies its permitted set into its
 *           inheritable set with capset, raises every one of them as ambient,
 *           and drops CAP_KILL from its effective set: after restore CapInh,
 *           CapPrm, CapEff and CapAmb are what they were, each ambient
 *           capability reads as set, and capget still lacks CAP_KILL
 *   threadcreds  threads whose credentials differ from their siblings' (raw
 *           syscalls change only the calling thread): one switched to uid
 *           1000 / gid 1001 with supplementary group 4242, one with fsuid
 *           1234 and one effective capability dropped; the leader stays
 *           root. After restore each thread's Uid/Gid/Groups/Cap* lines in
 *           /proc/thread-self/status are what they were
 *   leaderexit  the leader calls pthread_exit while two threads run: after
 *           restore the leader is a zombie again with the same tid, both
 *           threads run, one joins the other (clear_child_tid), and their
 *           thread-local values are intact
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <linux/capability.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/rseq.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "workload.h"

static char why[4096];
static void failf(const char *fmt, const char *what) {
    if (!why[0]) snprintf(why, sizeof why, fmt, what);
}

static void ready(void) { put_file("/shared/ready", "READY\n"); }
static void verdict(void) {
    char text[sizeof why + 16];
    if (why[0]) snprintf(text, sizeof text, "FAIL: %s\n", why);
    else snprintf(text, sizeof text, "PASS\n");
    put_file("/shared/result", text);
}
static void wait_usr1(void) {
    while (!got_usr1) pause();
}

static long futex(atomic_int *uaddr, int op, int val, const struct timespec *ts, int val3) {
    return syscall(SYS_futex, uaddr, op, val, ts, NULL, val3);
}

/* ---- sync ---- */

enum { W_JOINER, W_CONDWAITER, W_FUTEX, W_FUTEX_TIMEOUT, W_BITSET, W_BITSET_TIMEOUT, W_ROBUST_OWNER, W_PI_LOCKER,
       W_ALTSTACK, W_SIGNALS, W_COUNT };
static const char *w_name[W_COUNT] = {
    "pthread_join joiner", "condition variable waiter", "FUTEX_WAIT waiter", "FUTEX_WAIT waiter with timeout",
    "FUTEX_WAIT_BITSET waiter", "FUTEX_WAIT_BITSET waiter with timeout", "robust mutex owner", "PI mutex locker",
    "thread in a signal handler on its sigaltstack", "thread with a pending signal"};
static atomic_int parked[W_COUNT];   /* set when the thread reached its waiting point */
static atomic_int finished[W_COUNT]; /* 1: done right; 2: done wrong (why says) */
static char w_why[W_COUNT][200];

static void done(int w, const char *bad) {
    if (bad) snprintf(w_why[w], sizeof w_why[w], "%s: %s", w_name[w], bad);
    atomic_store(&finished[w], bad ? 2 : 1);
}

static pthread_mutex_t cond_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int cond_go;
static atomic_int fw_plain, fw_timeout, fw_bitset, fw_bitset_timeout, robust_release, signals_go, alt_release;
static pthread_mutex_t robust, pi;

/* A thread's rseq area: glibc registers one per thread; after restore the
 * kernel must still update it (cpu_id >= 0 and matching sched_getcpu). */
static const char *rseq_bad(void) {
    if (__rseq_size == 0) return NULL; /* glibc did not register rseq here */
    struct rseq *rs = (struct rseq *)((char *)__builtin_thread_pointer() + __rseq_offset);
    long r = syscall(SYS_rseq, rs, 32, 0, RSEQ_SIG);
    if (r == 0) return "rseq was not registered any more (a new registration succeeded)";
    if (errno != EBUSY) return "rseq registration is not the one glibc made";
    sched_yield();
    if ((int)rs->cpu_id < 0) return "the kernel no longer updates the rseq area";
    return NULL;
}

static void *cond_waiter(void *arg) {
    (void)arg;
    pthread_mutex_lock(&cond_lock);
    atomic_store(&parked[W_CONDWAITER], 1);
    while (!cond_go) pthread_cond_wait(&cond, &cond_lock);
    pthread_mutex_unlock(&cond_lock);
    done(W_CONDWAITER, rseq_bad());
    return (void *)0x5a;
}

static void *joiner(void *arg) {
    pthread_t t;
    pthread_create(&t, NULL, cond_waiter, NULL);
    atomic_store(&parked[W_JOINER], 1);
    void *ret = NULL;
    int rc = pthread_join(t, &ret);
    done(W_JOINER, rc ? "pthread_join failed" : ret != (void *)0x5a ? "pthread_join returned the wrong value" : NULL);
    (void)arg;
    return NULL;
}

/* Waits on `word` until it is non-zero; `op` and the timeout pick the kind of wait. */
static void futex_waiter(int w, atomic_int *word, int op, int timed, int absolute) {
    atomic_store(&parked[w], 1);
    while (!atomic_load(word)) {
        struct timespec ts = {3600, 0};
        if (timed && absolute) {
            clock_gettime(CLOCK_MONOTONIC, &ts);
            ts.tv_sec += 3600;
        }
        long r = futex(word, op, 0, timed ? &ts : NULL, FUTEX_BITSET_MATCH_ANY);
        if (r < 0 && errno == ETIMEDOUT) {
            done(w, "timed out (an hour early)");
            return;
        }
        if (r < 0 && errno != EAGAIN && errno != EINTR) {
            done(w, strerror(errno));
            return;
        }
    }
    done(w, rseq_bad());
}
static void *w_futex(void *a) { (void)a; futex_waiter(W_FUTEX, &fw_plain, FUTEX_WAIT_PRIVATE, 0, 0); return NULL; }
static void *w_futex_t(void *a) { (void)a; futex_waiter(W_FUTEX_TIMEOUT, &fw_timeout, FUTEX_WAIT_PRIVATE, 1, 0); return NULL; }
static void *w_bitset(void *a) { (void)a; futex_waiter(W_BITSET, &fw_bitset, FUTEX_WAIT_BITSET_PRIVATE, 0, 1); return NULL; }
static void *w_bitset_t(void *a) {
    (void)a;
    futex_waiter(W_BITSET_TIMEOUT, &fw_bitset_timeout, FUTEX_WAIT_BITSET_PRIVATE, 1, 1);
    return NULL;
}

/* Holds the robust mutex, waits, and exits without unlocking it: the kernel
 * walks the thread's robust list at exit and marks the mutex owner-dead. */
static void *robust_owner(void *a) {
    (void)a;
    pthread_mutex_lock(&robust);
    atomic_store(&parked[W_ROBUST_OWNER], 1);
    while (!atomic_load(&robust_release)) futex(&robust_release, FUTEX_WAIT_PRIVATE, 0, NULL, 0);
    atomic_store(&finished[W_ROBUST_OWNER], 1);
    return NULL; /* still holding `robust` */
}

static void *pi_locker(void *a) {
    (void)a;
    atomic_store(&parked[W_PI_LOCKER], 1);
    int rc = pthread_mutex_lock(&pi); /* blocks in FUTEX_LOCK_PI: main holds it */
    if (rc) {
        done(W_PI_LOCKER, strerror(rc));
        return NULL;
    }
    pthread_mutex_unlock(&pi);
    done(W_PI_LOCKER, rseq_bad());
    return NULL;
}

/* ---- the thread parked inside a signal handler on its alternate stack ---- */
static char altstack[64 * 1024] __attribute__((aligned(16)));
static atomic_int handler_returned;
static void on_usr2_alt(int sig, siginfo_t *si, void *uc) {
    (void)sig; (void)si; (void)uc;
    char here;
    stack_t ss;
    atomic_store(&parked[W_ALTSTACK], 1);
    while (!atomic_load(&alt_release)) futex(&alt_release, FUTEX_WAIT_PRIVATE, 0, NULL, 0);
    sigaltstack(NULL, &ss);
    if (!(ss.ss_flags & SS_ONSTACK)) snprintf(w_why[W_ALTSTACK], sizeof w_why[0], "%s", "SS_ONSTACK lost inside the handler");
    if (&here < altstack || &here >= altstack + sizeof altstack)
        snprintf(w_why[W_ALTSTACK], sizeof w_why[0], "%s", "the handler is not on the alternate stack");
    atomic_store(&handler_returned, 1);
}
static void *alt_thread(void *a) {
    (void)a;
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0};
    sigaltstack(&ss, NULL);
    sigset_t only;
    sigemptyset(&only);
    sigaddset(&only, SIGUSR2);
    pthread_sigmask(SIG_UNBLOCK, &only, NULL);
    syscall(SYS_tgkill, getpid(), gettid(), SIGUSR2);
    /* back from the handler */
    const char *bad = w_why[W_ALTSTACK][0] ? w_why[W_ALTSTACK] : NULL;
    stack_t now;
    sigaltstack(NULL, &now);
    if (!bad && !atomic_load(&handler_returned)) bad = "the handler did not finish";
    if (!bad && (now.ss_sp != altstack || now.ss_size != sizeof altstack || now.ss_flags != 0))
        bad = "its sigaltstack settings changed";
    if (bad) {
        char copy[160];
        snprintf(copy, sizeof copy, "%s", bad);
        done(W_ALTSTACK, copy);
    } else {
        done(W_ALTSTACK, rseq_bad());
    }
    return NULL;
}

/* A thread with its own blocked mask and a signal pending for it alone. */
static void *signals_thread(void *a) {
    (void)a;
    sigset_t m;
    sigemptyset(&m);
    sigaddset(&m, SIGURG);
    sigaddset(&m, SIGWINCH);
    pthread_sigmask(SIG_BLOCK, &m, NULL);
    sigset_t before;
    pthread_sigmask(SIG_BLOCK, NULL, &before);
    syscall(SYS_tgkill, getpid(), gettid(), SIGURG);
    atomic_store(&parked[W_SIGNALS], 1);
    while (!atomic_load(&signals_go)) futex(&signals_go, FUTEX_WAIT_PRIVATE, 0, NULL, 0);
    sigset_t cur, pend;
    pthread_sigmask(SIG_BLOCK, NULL, &cur);
    sigpending(&pend);
    const char *bad = NULL;
    int same = 1;
    for (int sig = 1; sig < NSIG; ++sig)
        if (sigismember(&cur, sig) != sigismember(&before, sig)) same = 0;
    if (!same || !sigismember(&cur, SIGURG) || !sigismember(&cur, SIGWINCH)) bad = "its blocked mask changed";
    else if (!sigismember(&pend, SIGURG)) bad = "its pending SIGURG is gone";
    else if (sigismember(&pend, SIGWINCH)) bad = "a SIGWINCH it never got is pending";
    done(W_SIGNALS, bad ? bad : rseq_bad());
    return NULL;
}

static int wait_all(int *which, int n, int seconds) {
    for (int ms = 0; ms < seconds * 1000; ms += 10) {
        int all = 1;
        for (int i = 0; i < n; ++i)
            if (!atomic_load(&finished[which[i]])) all = 0;
        if (all) return 1;
        usleep(10000);
    }
    return 0;
}

static int mode_sync(void) {
    install_usr1();
    /* Every thread but the ones that unblock them keep the signals blocked, so
     * only the right thread takes SIGUSR1 (main) and SIGUSR2 (alt_thread). */
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &block, NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_usr2_alt;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigaction(SIGUSR2, &sa, NULL);
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &usr1, NULL); /* inherited by the threads */

    pthread_mutexattr_t ma;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST);
    pthread_mutex_init(&robust, &ma);
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_setprotocol(&ma, PTHREAD_PRIO_INHERIT);
    pthread_mutex_init(&pi, &ma);
    pthread_mutex_lock(&pi);

    void *(*fns[])(void *) = {joiner, w_futex, w_futex_t, w_bitset, w_bitset_t, robust_owner, pi_locker, alt_thread,
                              signals_thread};
    pthread_t t[sizeof fns / sizeof fns[0]];
    for (size_t i = 0; i < sizeof fns / sizeof fns[0]; ++i) pthread_create(&t[i], NULL, fns[i], NULL);
    pthread_sigmask(SIG_UNBLOCK, &usr1, NULL);
    for (int w = 0; w < W_COUNT; ++w)
        while (!atomic_load(&parked[w])) usleep(1000);
    usleep(200000); /* let each one get into its syscall */
    ready();
    wait_usr1();

    /* Wake each waiter in turn. */
    pthread_mutex_lock(&cond_lock);
    cond_go = 1;
    pthread_cond_broadcast(&cond);
    pthread_mutex_unlock(&cond_lock);
    atomic_int *words[] = {&fw_plain, &fw_timeout, &fw_bitset, &fw_bitset_timeout, &alt_release, &signals_go};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; ++i) {
        atomic_store(words[i], 1);
        futex(words[i], FUTEX_WAKE_PRIVATE, 1 << 30, NULL, 0);
    }
    pthread_mutex_unlock(&pi);
    atomic_store(&robust_release, 1);
    futex(&robust_release, FUTEX_WAKE_PRIVATE, 1, NULL, 0);

    int all[W_COUNT];
    for (int w = 0; w < W_COUNT; ++w) all[w] = w;
    wait_all(all, W_COUNT, 10);
    for (int w = 0; w < W_COUNT; ++w) {
        int f = atomic_load(&finished[w]);
        if (f == 0) failf("%s was never woken (or never completed)", w_name[w]);
        else if (f == 2) failf("%s", w_why[w]);
    }
    if (!why[0]) {
        /* The robust owner has exited holding the mutex. */
        pthread_join(t[5], NULL);
        struct timespec dl;
        clock_gettime(CLOCK_REALTIME, &dl);
        dl.tv_sec += 5;
        int rc = pthread_mutex_timedlock(&robust, &dl);
        if (rc == ETIMEDOUT) failf("%s", "the robust mutex of an exited owner was never released (robust list lost)");
        else if (rc != EOWNERDEAD) failf("%s", "locking the robust mutex of an exited owner did not give EOWNERDEAD");
    }
    if (!why[0]) {
        const char *bad = rseq_bad();
        if (bad) failf("main thread: %s", bad);
    }
    if (!why[0]) {
        /* The joiner, in its turn, must wake a join on it. */
        struct timespec dl;
        clock_gettime(CLOCK_REALTIME, &dl);
        dl.tv_sec += 5;
        if (pthread_timedjoin_np(t[0], NULL, &dl)) failf("%s", "joining the joiner thread after it exited timed out");
    }
    verdict();
    return 0;
}

/* ---- maps ---- */
static int mode_maps(int n) {
    install_usr1();
    long page = sysconf(_SC_PAGESIZE);
    /* One reservation carved into n one-page mappings with alternating
     * protections: neighbours never merge into one VMA. */
    char *base = mmap(NULL, (size_t)n * page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED) {
        snprintf(why, sizeof why, "reserving %d pages: %s", n, strerror(errno));
        verdict();
        return 1;
    }
    for (int i = 0; i < n; ++i) {
        char *p = mmap(base + (size_t)i * page, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
                       -1, 0);
        if (p == MAP_FAILED) {
            snprintf(why, sizeof why, "mapping page %d: %s", i, strerror(errno));
            verdict();
            return 1;
        }
        *(int *)p = i ^ 0x5eed;
        if (i % 2) mprotect(p, page, PROT_READ);
    }
    ready();
    wait_usr1();
    for (int i = 0; i < n && !why[0]; ++i)
        if (*(int *)(base + (size_t)i * page) != (i ^ 0x5eed)) snprintf(why, sizeof why, "page %d lost its contents", i);
    verdict();
    return 0;
}

/* ---- zombies, orphans ---- */
static char proc_state(pid_t pid) {
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return 0;
    buf[n] = 0;
    char *close_paren = strrchr(buf, ')');
    return close_paren && close_paren[1] ? close_paren[2] : 0;
}
static int proc_ppid(pid_t pid) {
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return -1;
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    return p ? atoi(p + 4) : -1;
}
static int wait_state(pid_t pid, char want, int seconds) {
    for (int i = 0; i < seconds * 100; ++i) {
        if (proc_state(pid) == want) return 1;
        usleep(10000);
    }
    return 0;
}
static void park(void) {
    for (;;) pause();
}
static void put_pid(int fd, pid_t pid) {
    ssize_t n = write(fd, &pid, sizeof pid);
    (void)n;
}
static pid_t get_pid(int fd) {
    pid_t pid = -1;
    if (read(fd, &pid, sizeof pid) != sizeof pid) return -1;
    return pid;
}
static int sigchld_pending(void) {
    sigset_t p;
    sigpending(&p);
    return sigismember(&p, SIGCHLD);
}
static void drain_sigchld(void) {
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGCHLD);
    struct timespec zero = {0, 0};
    while (sigtimedwait(&s, NULL, &zero) > 0) {
    }
}
static char fail_buf[300];
static const char *fmt_fail(const char *fmt, int a, int b) {
    snprintf(fail_buf, sizeof fail_buf, fmt, a, b);
    return fail_buf;
}

static volatile sig_atomic_t worker_sigchld;
static void on_worker_sigchld(int sig) {
    (void)sig;
    worker_sigchld++;
}
/* Child of the init with a zombie of its own; exits 0 when all is right. */
static void zombie_worker(int report) {
    sigset_t none;
    sigemptyset(&none);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_worker_sigchld;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGCHLD, &sa, NULL);
    sigprocmask(SIG_SETMASK, &none, NULL);
    pid_t z = fork();
    if (z == 0) _exit(5);
    while (worker_sigchld == 0) usleep(1000);
    put_pid(report, z);
    while (!got_usr1) pause();
    if (worker_sigchld != 1) _exit(10);
    int st = 0;
    if (waitpid(z, &st, WNOHANG) != z) _exit(11);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 5) _exit(12);
    _exit(0);
}

static int mode_zombies(void) {
    install_usr1();
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, NULL);
    int go[2], rep[2];
    if (pipe(go) || pipe(rep)) return 1;
    pid_t z1 = fork();
    if (z1 == 0) _exit(42);
    pid_t z2 = fork();
    if (z2 == 0) {
        signal(SIGTERM, SIG_DFL);
        sigprocmask(SIG_UNBLOCK, &chld, NULL);
        raise(SIGTERM);
        _exit(1);
    }
    pid_t z3 = fork();
    if (z3 == 0) {
        char c;
        if (read(go[0], &c, 1) != 1) _exit(1);
        _exit(7);
    }
    setpgid(z3, z3);
    pid_t member = fork();
    if (member == 0) park();
    setpgid(member, z3);
    if (write(go[1], "x", 1) != 1) return 1;
    pid_t worker = fork();
    if (worker == 0) zombie_worker(rep[1]);
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    pid_t zw = get_pid(rep[0]);
    if (!wait_state(z1, 'Z', 10) || !wait_state(z2, 'Z', 10) || !wait_state(z3, 'Z', 10) || zw <= 0 ||
        !wait_state(zw, 'Z', 10)) {
        failf("%s", "the children did not all become zombies");
        verdict();
        return 1;
    }
    if (!sigchld_pending()) failf("%s", "SIGCHLD was not pending before the checkpoint");
    ready();
    wait_usr1();
    if (!sigchld_pending()) failf("%s", "SIGCHLD is no longer pending");
    pid_t zs[3] = {z1, z2, z3};
    for (int i = 0; i < 3; ++i)
        if (proc_state(zs[i]) != 'Z') failf("%s", fmt_fail("child %d is in state %c, not a zombie", zs[i], proc_state(zs[i])));
    if (getpgid(z3) != z3) failf("%s", fmt_fail("the zombie group leader %d is in group %d", z3, getpgid(z3)));
    if (getpgid(member) != z3) failf("%s", fmt_fail("the member of the zombie's group is in group %d, not %d", getpgid(member), z3));
    int st = 0;
    if (waitpid(z1, &st, WNOHANG) != z1 || !WIFEXITED(st) || WEXITSTATUS(st) != 42)
        failf("%s", fmt_fail("waitpid of the first zombie gave status %#x, not exit 42 (pid %d)", st, z1));
    st = 0;
    if (waitpid(z2, &st, WNOHANG) != z2 || !WIFSIGNALED(st) || WTERMSIG(st) != SIGTERM || WCOREDUMP(st))
        failf("%s", fmt_fail("waitpid of the killed zombie gave status %#x, not SIGTERM (pid %d)", st, z2));
    st = 0;
    if (waitpid(z3, &st, WNOHANG) != z3 || !WIFEXITED(st) || WEXITSTATUS(st) != 7)
        failf("%s", fmt_fail("waitpid of the group-leading zombie gave status %#x, not exit 7 (pid %d)", st, z3));
    kill(worker, SIGUSR1);
    int done = 0;
    for (int i = 0; i < 1000 && !done; ++i) {
        st = 0;
        if (waitpid(worker, &st, WNOHANG) == worker) done = 1;
        else usleep(10000);
    }
    if (!done) failf("%s", "the worker did not finish its check");
    else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        failf("%s", fmt_fail("the worker's check failed with %d (10: a second SIGCHLD, 11/12: its zombie) %d",
                             WIFEXITED(st) ? WEXITSTATUS(st) : -1, 0));
    verdict();
    return 0;
}

static int mode_orphans(void) {
    install_usr1();
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, NULL);
    int rep[2], rep2[2];
    if (pipe(rep) || pipe(rep2)) return 1;
    /* A: a session leader that exits; B stays in A's session and group. */
    pid_t a = fork();
    if (a == 0) {
        setsid();
        pid_t b = fork();
        if (b == 0) park();
        put_pid(rep[1], b);
        _exit(0);
    }
    pid_t b = get_pid(rep[0]);
    waitpid(a, NULL, 0);
    /* C: a group leader that exits; D and D's child stay in C's group. */
    pid_t c = fork();
    if (c == 0) {
        setpgid(0, 0);
        pid_t d = fork();
        if (d == 0) {
            pid_t d2 = fork();
            if (d2 == 0) park();
            put_pid(rep2[1], d2);
            park();
        }
        put_pid(rep[1], d);
        _exit(0);
    }
    pid_t d = get_pid(rep[0]);
    pid_t d2 = get_pid(rep2[0]);
    waitpid(c, NULL, 0);
    /* E leads a group; F is moved into it after fork. */
    pid_t e = fork();
    if (e == 0) park();
    setpgid(e, e);
    pid_t f = fork();
    if (f == 0) park();
    setpgid(f, e);
    for (int i = 0; i < 500 && proc_ppid(b) != getpid(); ++i) usleep(10000);
    for (int i = 0; i < 500 && proc_ppid(d) != getpid(); ++i) usleep(10000);
    drain_sigchld();
    pid_t sid = getsid(0);
    if (getsid(b) != a || getpgid(b) != a || getpgid(d) != c || getpgid(d2) != c || getpgid(f) != e)
        failf("%s", "the ids were not set up as planned");
    ready();
    wait_usr1();
    if (getsid(b) != a) failf("%s", fmt_fail("the orphan of session %d is in session %d", a, getsid(b)));
    if (getpgid(b) != a) failf("%s", fmt_fail("the orphan of session %d is in group %d", a, getpgid(b)));
    if (proc_ppid(b) != getpid()) failf("%s", fmt_fail("the orphan of the session has parent %d, not %d", proc_ppid(b), getpid()));
    if (getpgid(d) != c || getpgid(d2) != c)
        failf("%s", fmt_fail("the members of group %d are in group %d", c, getpgid(d) != c ? getpgid(d) : getpgid(d2)));
    if (getsid(d) != sid) failf("%s", fmt_fail("the orphan of group leader is in session %d, not %d", getsid(d), sid));
    if (proc_ppid(d) != getpid() || proc_ppid(d2) != d)
        failf("%s", fmt_fail("the parents of the group's members changed: %d and %d", proc_ppid(d), proc_ppid(d2)));
    if (getpgid(f) != e) failf("%s", fmt_fail("the child moved to group %d is in group %d", e, getpgid(f)));
    if (kill(a, 0) == 0 || errno != ESRCH) failf("%s", fmt_fail("the session leader %d exists again", a, 0));
    if (kill(c, 0) == 0 || errno != ESRCH) failf("%s", fmt_fail("the group leader %d exists again", c, 0));
    if (waitpid(-1, NULL, WNOHANG) != 0) failf("%s", "a child was left to reap after the restore");
    if (sigchld_pending()) failf("%s", "SIGCHLD is pending after the restore");
    verdict();
    return 0;
}

/* ---- sharedanon ---- */
static volatile sig_atomic_t got_usr2;
static void on_usr2(int sig) {
    (void)sig;
    got_usr2 = 1;
}
static int mode_sharedanon(void) {
    install_usr1();
    long page = sysconf(_SC_PAGESIZE);
    volatile int *w = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (w == MAP_FAILED) return 1;
    volatile int *p1 = (volatile int *)((char *)w + page), *p3 = (volatile int *)((char *)w + 3 * page);
    w[0] = 0x1111;
    signal(SIGUSR2, on_usr2);
    pid_t child = fork();
    if (child == 0) {
        munmap((void *)w, page);  /* the child's mapping now starts at offset one page */
        p1[0] = 0x2222;           /* written before the checkpoint, seen by the parent */
        for (;;) {
            if (got_usr2) {
                got_usr2 = 0;
                p3[1] = p3[0] + 1; /* answers what the parent wrote after restore */
            }
            pause();
        }
    }
    for (int i = 0; i < 500 && p1[0] != 0x2222; ++i) usleep(10000);
    if (p1[0] != 0x2222) failf("%s", "the child's write was never seen before the checkpoint");
    ready();
    wait_usr1();
    if (w[0] != 0x1111) failf("%s", "the parent's own contents were lost");
    if (p1[0] != 0x2222) failf("%s", "the child's write from before the checkpoint was lost");
    p3[0] = 0x4141;
    kill(child, SIGUSR2);
    for (int i = 0; i < 500 && p3[1] != 0x4142; ++i) usleep(10000);
    if (p3[1] != 0x4142)
        failf("%s", fmt_fail("the parent and child no longer share the region (answer %#x, want %#x)", p3[1], 0x4142));
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    verdict();
    return 0;
}

/* ---- tuning ---- */
static int stat_field(pid_t tid, int field) {
    char path[96], buf[1024];
    snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int)tid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1000;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return -1000;
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    if (!p) return -1000;
    p += 2; /* field 3 */
    for (int f = 3; f < field; ++f) {
        p = strchr(p, ' ');
        if (!p) return -1000;
        ++p;
    }
    return atoi(p);
}
static atomic_int tuned_tid;
static void *tuned_thread(void *arg) {
    (void)arg;
    struct sched_param sp = {0};
    sched_setscheduler(0, SCHED_BATCH, &sp);
    setpriority(PRIO_PROCESS, 0, 10);
    atomic_store(&tuned_tid, (int)syscall(SYS_gettid));
    for (;;) pause();
    return NULL;
}
static void fake_subreaper_query(void) {
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_prctl, 0, 3),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PR_GET_CHILD_SUBREAPER, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {sizeof f / sizeof f[0], f};
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog)) _exit(9);
}
/* Child subreaper under a filter that fakes its prctl; exits 0 when right. */
static void subreaper_child(void) {
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    fake_subreaper_query();
    signal(SIGUSR2, on_usr2);
    while (!got_usr2) pause();
    int v = 77;
    if (prctl(PR_GET_CHILD_SUBREAPER, &v) != 0 || v != 77) _exit(2); /* the filter is gone */
    int rep[2];
    if (pipe(rep)) _exit(3);
    pid_t x = fork();
    if (x == 0) {
        pid_t y = fork();
        if (y == 0) park();
        put_pid(rep[1], y);
        _exit(0);
    }
    pid_t y = get_pid(rep[0]);
    waitpid(x, NULL, 0);
    int ok = 0;
    for (int i = 0; i < 300 && !ok; ++i) {
        if (proc_ppid(y) == getpid()) ok = 1;
        else usleep(10000);
    }
    kill(y, SIGKILL);
    _exit(ok ? 0 : 1);
}
static int mode_tuning(void) {
    install_usr1();
    pid_t sub = fork();
    if (sub == 0) subreaper_child();
    setpriority(PRIO_PROCESS, 0, 5);
    int ofd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
    if (ofd < 0 || write(ofd, "500\n", 4) != 4) failf("%s", "raising oom_score_adj failed before the checkpoint");
    if (ofd >= 0) close(ofd);
    if (prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0)) failf("%s", "PR_SET_THP_DISABLE failed before the checkpoint");
    pthread_t t;
    pthread_create(&t, NULL, tuned_thread, NULL);
    while (!atomic_load(&tuned_tid)) usleep(1000);
    usleep(100000); /* the child's filter is in place */
    ready();
    wait_usr1();
    int tid = atomic_load(&tuned_tid);
    if (getpriority(PRIO_PROCESS, 0) != 5) failf("%s", fmt_fail("the init's nice is %d, not %d", getpriority(PRIO_PROCESS, 0), 5));
    if (stat_field(tid, 19) != 10 || stat_field(tid, 41) != SCHED_BATCH)
        failf("%s", fmt_fail("the thread has nice %d and policy %d, not 10 and SCHED_BATCH", stat_field(tid, 19), stat_field(tid, 41)));
    char buf[32] = {0};
    int fd = open("/proc/self/oom_score_adj", O_RDONLY);
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
    if (fd >= 0) close(fd);
    if (n <= 0 || atoi(buf) != 500) failf("%s", fmt_fail("oom_score_adj is %d, not %d", atoi(buf), 500));
    if (prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0) != 1) failf("%s", "THP is no longer disabled");
    kill(sub, SIGUSR2);
    int st = 0, done = 0;
    for (int i = 0; i < 1000 && !done; ++i) {
        if (waitpid(sub, &st, WNOHANG) == sub) done = 1;
        else usleep(10000);
    }
    if (!done) failf("%s", "the subreaper child did not finish its check");
    else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        failf("%s", fmt_fail("the subreaper child failed with %d (1: not a subreaper any more, 2: its filter is gone)",
                             WIFEXITED(st) ? WEXITSTATUS(st) : -1, 0));
    verdict();
    return 0;
}

/* ---- madvise ---- */
static long status_kb(const char *key) {
    char buf[4096];
    int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return -1;
    buf[n] = 0;
    char *p = strstr(buf, key);
    return p ? atol(p + strlen(key)) : -1;
}
static int mode_madvise(void) {
    install_usr1();
    long page = sysconf(_SC_PAGESIZE);
    enum { R_DONTFORK, R_WIPE, R_HUGE, R_NOHUGE, R_DONTDUMP, R_LOCKED, R_COUNT };
    static const int advice[R_COUNT] = {MADV_DONTFORK, MADV_WIPEONFORK, MADV_HUGEPAGE, MADV_NOHUGEPAGE, MADV_DONTDUMP, -1};
    size_t len = 4 * page;
    char *r[R_COUNT];
    for (int i = 0; i < R_COUNT; ++i) {
        /* A guard page after each range keeps them from merging into one VMA. */
        char *m = mmap(NULL, len + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED) return 1;
        mprotect(m + len, page, PROT_NONE);
        r[i] = m;
        if (advice[i] >= 0 && madvise(m, len, advice[i])) failf("%s", fmt_fail("madvise %d failed (range %d)", advice[i], i));
        memset(m, 0x30 + i, len);
    }
    if (mlock(r[R_LOCKED], len)) failf("%s", "mlock failed before the checkpoint");
    char *down = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_GROWSDOWN, -1, 0);
    if (down == MAP_FAILED) return 1;
    memset(down, 0x55, 4 * page);
    long locked_before = status_kb("VmLck:");
    ready();
    wait_usr1();
    for (int i = 0; i < R_COUNT; ++i)
        for (size_t k = 0; k < len; k += (size_t)page)
            if (r[i][k] != 0x30 + i) {
                failf("%s", fmt_fail("range %d lost its contents at page %d", i, (int)(k / page)));
                break;
            }
    if (down[0] != 0x55) failf("%s", "the MAP_GROWSDOWN range lost its contents");
    if (status_kb("VmLck:") != locked_before)
        failf("%s", fmt_fail("VmLck is %d kB, it was %d kB", (int)status_kb("VmLck:"), (int)locked_before));
    int pfd[2];
    if (pipe(pfd)) return 1;
    pid_t c = fork();
    if (c == 0) {
        /* In the child: the DONTFORK range is not mapped, the WIPEONFORK one is zero. */
        char verdict_byte = 0;
        if (msync(r[R_DONTFORK], page, MS_ASYNC) == 0 || errno != ENOMEM) verdict_byte |= 1;
        if (r[R_WIPE][0] != 0) verdict_byte |= 2;
        if (r[R_HUGE][0] != 0x30 + R_HUGE) verdict_byte |= 4;
        ssize_t n = write(pfd[1], &verdict_byte, 1);
        (void)n;
        _exit(0);
    }
    char v = 8;
    if (read(pfd[0], &v, 1) != 1) v = 8;
    waitpid(c, NULL, 0);
    if (v & 1) failf("%s", "the MADV_DONTFORK range was inherited by a child forked after restore");
    if (v & 2) failf("%s", "the MADV_WIPEONFORK range was not wiped in a child forked after restore");
    if (v & 4) failf("%s", "an ordinary range was not inherited by the child");
    if (v & 8) failf("%s", "the child forked after restore did not report");
    verdict();
    return 0;
}

/* ---- cow ---- */
#define COW_BYTES (64u << 20)
#define COW_CHILDREN 3
static uint32_t cow_stamp(size_t page) { return 0x5a000000u ^ (uint32_t)page * 2654435761u; }
static volatile sig_atomic_t cow_check;
static void on_cow_check(int sig) {
    (void)sig;
    cow_check = 1;
}
/* Pages child k owns (written after the fork), the page it drops, and the
 * page the parent writes after restore. */
static size_t cow_own(int k, int i) { return 1000 + (size_t)k * 100 + (size_t)i; }
static size_t cow_dropped(int k) { return 2000 + (size_t)k; }
#define COW_PARENT_PAGE 3000
static int cow_child_checks(volatile uint32_t *m, size_t page, int k) {
    size_t words = page / 4, pages = COW_BYTES / page;
    for (size_t p = 0; p < pages; ++p) {
        uint32_t want = cow_stamp(p);
        if (p == cow_dropped(k)) want = 0;
        for (int i = 0; i < 4; ++i)
            if (p == cow_own(k, i)) want = 0xc0000000u | (uint32_t)(k << 8) | (uint32_t)i;
        if (m[p * words] != want || m[p * words + words - 1] != (p == cow_dropped(k) ? 0 : 0x77777777u)) return 10 + k;
    }
    m[0] = 0xdeadbeef; /* the parent must not see it */
    return 0;
}
static int mode_cow(void) {
    install_usr1();
    long page = sysconf(_SC_PAGESIZE);
    size_t words = (size_t)page / 4, pages = COW_BYTES / (size_t)page;
    volatile uint32_t *m = mmap(NULL, COW_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) return 1;
    madvise((void *)m, COW_BYTES, MADV_NOHUGEPAGE); /* 4 KiB pages: a child's write copies one page, not 2 MiB */
    for (size_t p = 0; p < pages; ++p) {
        m[p * words] = cow_stamp(p);
        m[p * words + words - 1] = 0x77777777u;
    }
    signal(SIGUSR2, on_cow_check);
    pid_t kids[COW_CHILDREN];
    int ready_pipe[2];
    if (pipe(ready_pipe)) return 1;
    for (int k = 0; k < COW_CHILDREN; ++k) {
        kids[k] = fork();
        if (kids[k] < 0) return 1;
        if (kids[k] == 0) {
            for (int i = 0; i < 4; ++i) {
                m[cow_own(k, i) * words] = 0xc0000000u | (uint32_t)(k << 8) | (uint32_t)i;
            }
            madvise((void *)(m + cow_dropped(k) * words), (size_t)page, MADV_DONTNEED);
            char c = 'r';
            if (write(ready_pipe[1], &c, 1) != 1) _exit(2);
            while (!cow_check) pause();
            _exit(cow_child_checks(m, (size_t)page, k));
        }
    }
    for (int k = 0; k < COW_CHILDREN; ++k) {
        char c;
        if (read(ready_pipe[0], &c, 1) != 1) return 1;
    }
    ready();
    wait_usr1();
    for (size_t p = 0; p < pages; ++p)
        if (m[p * words] != cow_stamp(p) || m[p * words + words - 1] != 0x77777777u) {
            failf("%s", fmt_fail("the parent lost its contents at page %d (%#x)", (int)p, (int)m[p * words]));
            break;
        }
    m[COW_PARENT_PAGE * words + words - 1] = 0x12345678; /* no child may see this */
    for (int k = 0; k < COW_CHILDREN; ++k) kill(kids[k], SIGUSR2);
    for (int k = 0; k < COW_CHILDREN; ++k) {
        int st = 0;
        if (waitpid(kids[k], &st, 0) != kids[k] || !WIFEXITED(st)) {
            failf("%s", fmt_fail("child %d did not exit (status %#x)", k, st));
            continue;
        }
        if (WEXITSTATUS(st) != 0)
            failf("%s", fmt_fail("child %d read wrong memory after restore (code %d)", k, WEXITSTATUS(st)));
    }
    if (m[0] != cow_stamp(0)) failf("%s", "a child's write after restore was seen by the parent");
    verdict();
    return 0;
}

/* ---- caps, threadcreds, leaderexit ---- */
/* The lines of /proc/thread-self/status that hold this thread's credentials. */
static void cred_lines(char *out, size_t size) {
    static const char *keys[] = {"Uid:", "Gid:", "Groups:", "CapInh:", "CapPrm:", "CapEff:", "CapAmb:", "NoNewPrivs:"};
    char buf[8192];
    out[0] = 0;
    int fd = open("/proc/thread-self/status", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return;
    buf[n] = 0;
    for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
        for (size_t k = 0; k < sizeof keys / sizeof *keys; ++k)
            if (!strncmp(line, keys[k], strlen(keys[k]))) {
                size_t used = strlen(out);
                snprintf(out + used, size - used, "%s; ", line);
            }
}
static int get_caps(struct __user_cap_data_struct data[2]) {
    struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
    return (int)syscall(SYS_capget, &hdr, data);
}
static int set_caps(struct __user_cap_data_struct data[2]) {
    struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
    return (int)syscall(SYS_capset, &hdr, data);
}
static int mode_caps(void) {
    install_usr1();
    struct __user_cap_data_struct c[2];
    if (get_caps(c)) failf("capget: %s", strerror(errno));
    /* CAP_KILL is the one dropped from the effective set (runc's default set has it). */
    if (!(c[0].effective & (1u << CAP_KILL))) failf("%s", "the bundle did not grant CAP_KILL");
    c[0].inheritable = c[0].permitted;
    c[1].inheritable = c[1].permitted;
    c[0].effective &= ~(1u << CAP_KILL);
    if (!why[0] && set_caps(c)) failf("capset: %s", strerror(errno));
    int raised = 0;
    for (int cap = 0; cap < 64 && !why[0]; ++cap)
        if (c[cap / 32].inheritable & (1u << (cap % 32))) {
            if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0)) failf("raising an ambient capability: %s", strerror(errno));
            raised++;
        }
    if (!raised) failf("%s", "no capability to raise as ambient");
    char before[1024];
    cred_lines(before, sizeof before);
    put_file("/shared/creds.before", before);
    ready();
    wait_usr1();
    char after[1024];
    cred_lines(after, sizeof after);
    if (strcmp(before, after)) {
        snprintf(why, sizeof why, "credentials before [%s] after [%s]", before, after);
    }
    for (int cap = 0; cap < 64 && !why[0]; ++cap)
        if ((c[cap / 32].inheritable & (1u << (cap % 32))) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, cap, 0, 0) != 1)
            failf("%s", "an ambient capability is no longer set");
    struct __user_cap_data_struct now[2];
    if (!why[0] && (get_caps(now) || (now[0].effective & (1u << CAP_KILL))))
        failf("%s", "CAP_KILL, dropped from the effective set, is effective again");
    verdict();
    return 0;
}

enum { TC_SWITCHED, TC_FSUID, TC_COUNT };
static atomic_int tc_ready, tc_go, tc_done[TC_COUNT];
static char tc_before[TC_COUNT][1024], tc_why[TC_COUNT][2100];
static void *creds_thread(void *arg) {
    int k = (int)(intptr_t)arg;
    if (k == TC_SWITCHED) {
        gid_t g = 4242;
        if (syscall(SYS_setgroups, 1, &g) || syscall(SYS_setresgid, 1001, 1001, 1001) ||
            syscall(SYS_setresuid, 1000, 1000, 1000))
            snprintf(tc_why[k], sizeof tc_why[k], "switching thread credentials: %s", strerror(errno));
    } else {
        syscall(SYS_setfsuid, 1234);
        struct __user_cap_data_struct c[2];
        if (get_caps(c)) snprintf(tc_why[k], sizeof tc_why[k], "capget: %s", strerror(errno));
        c[0].effective &= ~(1u << CAP_NET_BIND_SERVICE);
        if (set_caps(c)) snprintf(tc_why[k], sizeof tc_why[k], "capset: %s", strerror(errno));
    }
    cred_lines(tc_before[k], sizeof tc_before[k]);
    atomic_fetch_add(&tc_ready, 1);
    while (!atomic_load(&tc_go)) usleep(5000);
    char after[1024];
    cred_lines(after, sizeof after);
    if (!tc_why[k][0] && strcmp(tc_before[k], after))
        snprintf(tc_why[k], sizeof tc_why[k], "thread %d: before [%s] after [%s]", k, tc_before[k], after);
    atomic_store(&tc_done[k], 1);
    return NULL;
}
static int mode_threadcreds(void) {
    install_usr1();
    pthread_t t[TC_COUNT];
    for (int k = 0; k < TC_COUNT; ++k) pthread_create(&t[k], NULL, creds_thread, (void *)(intptr_t)k);
    while (atomic_load(&tc_ready) < TC_COUNT) usleep(1000);
    char before[1024];
    cred_lines(before, sizeof before);
    if (!strcmp(before, tc_before[TC_SWITCHED]) || !strcmp(before, tc_before[TC_FSUID]))
        failf("%s", "a thread's credentials did not change before the checkpoint");
    ready();
    wait_usr1();
    atomic_store(&tc_go, 1);
    for (int i = 0; i < 500; ++i) {
        if (atomic_load(&tc_done[0]) && atomic_load(&tc_done[1])) break;
        usleep(10000);
    }
    char after[1024];
    cred_lines(after, sizeof after);
    if (strcmp(before, after)) snprintf(why, sizeof why, "the leader: before [%s] after [%s]", before, after);
    for (int k = 0; k < TC_COUNT && !why[0]; ++k) {
        if (!atomic_load(&tc_done[k])) failf("%s", "a thread did not finish its check");
        else if (tc_why[k][0]) snprintf(why, sizeof why, "%s", tc_why[k]);
    }
    verdict();
    return 0;
}

static __thread long le_local;
static atomic_int le_running, le_exit_second;
static pthread_t le_second;
static void *le_second_thread(void *arg) {
    (void)arg;
    le_local = 2222;
    atomic_fetch_add(&le_running, 1);
    while (!atomic_load(&le_exit_second)) usleep(5000);
    return (void *)(intptr_t)(le_local == 2222 ? 7 : 8);
}
static void *le_checker_thread(void *arg) {
    (void)arg;
    le_local = 1111;
    pid_t leader = getpid();
    atomic_fetch_add(&le_running, 1);
    while (!got_usr1) usleep(5000);
    if (proc_state(leader) != 'Z') failf("%s", "the leader is not a zombie after restore");
    if (le_local != 1111) failf("%s", "the checking thread lost its thread-local value");
    atomic_store(&le_exit_second, 1);
    void *ret = NULL;
    if (pthread_join(le_second, &ret)) failf("%s", "pthread_join on the second thread failed");
    else if ((intptr_t)ret != 7) failf("%s", "the second thread lost its thread-local value");
    verdict();
    for (;;) pause();
    return NULL;
}
static int mode_leaderexit(void) {
    install_usr1();
    pthread_t checker;
    pthread_create(&le_second, NULL, le_second_thread, NULL);
    pthread_create(&checker, NULL, le_checker_thread, NULL);
    while (atomic_load(&le_running) < 2) usleep(1000);
    pid_t leader = getpid();
    pid_t watcher = fork();
    if (watcher == 0) {
        /* Says ready once the leader is a zombie (the other threads run on). */
        if (wait_state(leader, 'Z', 20)) ready();
        _exit(0);
    }
    pthread_exit(NULL);
}

int main(int argc, char **argv) {
    const char *m = argc > 1 ? argv[1] : "";
    if (!strcmp(m, "sync")) return mode_sync();
    if (!strcmp(m, "zombies")) return mode_zombies();
    if (!strcmp(m, "sharedanon")) return mode_sharedanon();
    if (!strcmp(m, "tuning")) return mode_tuning();
    if (!strcmp(m, "madvise")) return mode_madvise();
    if (!strcmp(m, "orphans")) return mode_orphans();
    if (!strcmp(m, "cow")) return mode_cow();
    if (!strcmp(m, "caps")) return mode_caps();
    if (!strcmp(m, "threadcreds")) return mode_threadcreds();
    if (!strcmp(m, "leaderexit")) return mode_leaderexit();
    if (!strcmp(m, "maps")) return mode_maps(argc > 2 ? atoi(argv[2]) : 10000);
    fprintf(stderr, "procwork: unknown mode %s\n", m);
    return 2;
}
