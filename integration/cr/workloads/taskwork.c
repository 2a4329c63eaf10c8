/* Self-checking workloads for the task-level checkpoint/restore tests
 * (timers, file locks, tasks in special states, zombies, /dev/shm).
 *
 *   taskwork MODE
 *
 * Like crwork: each mode sets up its state, writes "READY" to /shared/ready,
 * waits for SIGUSR1, verifies the state and writes "PASS" or "FAIL: why" to
 * /shared/result.
 *
 * Modes:
 *   itimers      ITIMER_REAL firing every 100 ms, ITIMER_VIRTUAL and
 *                ITIMER_PROF with an hour left: intervals kept, values go on
 *                counting down from where they were
 *   posix_timers timer_create timers: a periodic SIGEV_SIGNAL one with its
 *                value, a per-thread SIGEV_THREAD_ID one, a SIGEV_NONE one
 *                with an hour left; same ids (with a gap left by a deleted
 *                timer), intervals, remaining time, still firing
 *   blocking     threads blocked in nanosleep (with and without rem),
 *                clock_nanosleep, read on a pipe, futex waits, wait4, poll,
 *                epoll_wait and sigtimedwait: after restore each returns
 *                what it would have, none with EINTR, the sleeps not before
 *                their time
 *   stopped      a child stopped with SIGSTOP is still stopped, and runs
 *                on after SIGCONT
 *   zombie       two children that exited (status 42, killed by SIGTERM)
 *                and were not reaped: waitpid still reports them, also
 *                after a restore (procwork zombies covers groups and SIGCHLD)
 *   shm          a file in /dev/shm and a POSIX shm_open object, mapped
 *                shared: contents and the mapping's link to the file kept
 *   locks        flock, POSIX record locks (read and write ranges) and an
 *                OFD lock held through open fds: a child still sees them
 *                (needs --file-locks)
 *   deleted_map  a mapping of a file that was deleted (the checkpoint must
 *                refuse it)
 *   namespaces   in a time namespace (monotonic offset of a day) and a cgroup
 *                namespace: the offsets, the cgroup root and the clocks'
 *                continuity are kept
 *   vfork        a child process inside vfork (the checkpoint must refuse it)
 *   lease        a read lease on a file (the checkpoint must refuse it)
 *   traced       a child in a ptrace stop, traced by the init (the
 *                checkpoint must refuse it)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "workload.h"


static void ready(void) { put_file("/shared/ready", "READY\n"); }

static char why[512];
#define CHECK(cond, ...) \
    do { \
        if (!why[0] && !(cond)) snprintf(why, sizeof why, __VA_ARGS__); \
    } while (0)

static void result(void) {
    char buf[600];
    snprintf(buf, sizeof buf, "%s%s\n", why[0] ? "FAIL: " : "PASS", why);
    put_file("/shared/result", buf);
}

static double now_mono(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
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

static void spin_cpu(double seconds) {
    double end = now_mono() + seconds;
    volatile uint64_t x = 0;
    while (now_mono() < end) x++;
}

static double tv_sec(struct timeval tv) { return (double)tv.tv_sec + (double)tv.tv_usec / 1e6; }
static double ts_sec(struct timespec ts) { return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9; }

/* ---- itimers ---- */
static volatile sig_atomic_t alarms;
static void on_alarm(int sig) { (void)sig; alarms++; }

static void mode_itimers(void) {
    install_usr1();
    signal(SIGALRM, on_alarm);
    struct itimerval real = {{0, 100000}, {0, 100000}};
    struct itimerval virt = {{11, 0}, {3600, 0}};
    struct itimerval prof = {{13, 0}, {3600, 0}};
    setitimer(ITIMER_REAL, &real, NULL);
    setitimer(ITIMER_VIRTUAL, &virt, NULL);
    setitimer(ITIMER_PROF, &prof, NULL);
    spin_cpu(0.2);
    struct itimerval v0;
    getitimer(ITIMER_VIRTUAL, &v0);
    ready();
    wait_usr1();
    struct itimerval r, v, p, v2;
    getitimer(ITIMER_REAL, &r);
    getitimer(ITIMER_VIRTUAL, &v);
    getitimer(ITIMER_PROF, &p);
    CHECK(tv_sec(r.it_interval) == 0.1, "ITIMER_REAL interval is %f", tv_sec(r.it_interval));
    CHECK(tv_sec(v.it_interval) == 11 && tv_sec(p.it_interval) == 13, "ITIMER_VIRTUAL/PROF intervals are %f/%f",
          tv_sec(v.it_interval), tv_sec(p.it_interval));
    /* CPU time used since the restore is small: the value goes on from where it was
     * (setitimer adds one tick to a CPU-time value, hence the 20 ms) */
    CHECK(tv_sec(v.it_value) <= tv_sec(v0.it_value) + 0.02 && tv_sec(v.it_value) > tv_sec(v0.it_value) - 30,
          "ITIMER_VIRTUAL value %f, was %f before", tv_sec(v.it_value), tv_sec(v0.it_value));
    CHECK(tv_sec(p.it_value) > 3500 && tv_sec(p.it_value) < 3600, "ITIMER_PROF value %f", tv_sec(p.it_value));
    sig_atomic_t a0 = alarms;
    spin_cpu(0.5);
    getitimer(ITIMER_VIRTUAL, &v2);
    CHECK(tv_sec(v.it_value) - tv_sec(v2.it_value) > 0.05, "ITIMER_VIRTUAL did not count down (%f -> %f)",
          tv_sec(v.it_value), tv_sec(v2.it_value));
    CHECK(alarms - a0 >= 3, "ITIMER_REAL fired %d times in 0.5 s", (int)(alarms - a0));
    finish();
}

/* ---- posix_timers ---- */
#define NSIGVAL 3
static atomic_int fired[NSIGVAL];
static volatile pid_t wrong_thread;
static pid_t worker_tid;

static void on_timer(int sig, siginfo_t *si, void *uc) {
    (void)uc;
    int v = si->si_value.sival_int;
    if (v >= 0 && v < NSIGVAL) atomic_fetch_add(&fired[v], 1);
    if (sig == SIGRTMIN + 1 && syscall(SYS_gettid) != worker_tid) wrong_thread = (pid_t)syscall(SYS_gettid);
}

static void *timer_worker(void *arg) {
    (void)arg;
    worker_tid = (pid_t)syscall(SYS_gettid);
    for (;;) sleep_ms(1000);
    return NULL;
}

static int make_timer(clockid_t clock, int notify, int signo, int value, pid_t tid) {
    struct sigevent sev;
    memset(&sev, 0, sizeof sev);
    sev.sigev_notify = notify;
    sev.sigev_signo = signo;
    sev.sigev_value.sival_int = value;
    sev._sigev_un._tid = tid;
    int id = -1;
    if (syscall(SYS_timer_create, clock, &sev, &id) != 0) return -1;
    return id;
}

static int arm(int id, double value, double interval) {
    struct itimerspec its;
    its.it_value.tv_sec = (time_t)value;
    its.it_value.tv_nsec = (long)((value - (double)(time_t)value) * 1e9);
    its.it_interval.tv_sec = (time_t)interval;
    its.it_interval.tv_nsec = (long)((interval - (double)(time_t)interval) * 1e9);
    return (int)syscall(SYS_timer_settime, id, 0, &its, NULL);
}

static void mode_posix_timers(void) {
    install_usr1();
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_timer;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigaction(SIGRTMIN, &sa, NULL);
    sigaction(SIGRTMIN + 1, &sa, NULL);
    pthread_t th;
    pthread_create(&th, NULL, timer_worker, NULL);
    while (!worker_tid) sleep_ms(1);
    /* the worker takes only its own timer's signal, the others go elsewhere */
    int gap = make_timer(CLOCK_MONOTONIC, SIGEV_NONE, 0, 0, 0);
    int periodic = make_timer(CLOCK_MONOTONIC, SIGEV_SIGNAL, SIGRTMIN, 1, 0);
    int per_thread = make_timer(CLOCK_REALTIME, SIGEV_SIGNAL | SIGEV_THREAD_ID, SIGRTMIN + 1, 2, worker_tid);
    int none = make_timer(CLOCK_BOOTTIME, SIGEV_NONE, 0, 0, 0);
    syscall(SYS_timer_delete, gap);
    if (gap < 0 || periodic < 0 || per_thread < 0 || none < 0) {
        snprintf(why, sizeof why, "timer_create failed: %s", strerror(errno));
        finish();
    }
    arm(periodic, 0.05, 0.05);
    arm(per_thread, 0.07, 0.07);
    arm(none, 3600, 5);
    ready();
    wait_usr1();
    struct itimerspec its;
    CHECK(syscall(SYS_timer_gettime, gap, &its) != 0 && errno == EINVAL, "deleted timer id %d exists again", gap);
    CHECK(syscall(SYS_timer_gettime, none, &its) == 0, "timer %d is gone: %s", none, strerror(errno));
    CHECK(ts_sec(its.it_interval) == 5, "SIGEV_NONE timer interval %f", ts_sec(its.it_interval));
    CHECK(ts_sec(its.it_value) > 3500 && ts_sec(its.it_value) < 3600, "SIGEV_NONE timer value %f", ts_sec(its.it_value));
    double left = ts_sec(its.it_value);
    CHECK(syscall(SYS_timer_gettime, periodic, &its) == 0, "timer %d is gone", periodic);
    CHECK(its.it_interval.tv_nsec == 50000000 && its.it_interval.tv_sec == 0, "periodic timer interval %f",
          ts_sec(its.it_interval));
    CHECK(syscall(SYS_timer_gettime, per_thread, &its) == 0, "per-thread timer %d is gone", per_thread);
    CHECK(its.it_interval.tv_nsec == 70000000, "per-thread timer interval %f", ts_sec(its.it_interval));
    int f1 = atomic_load(&fired[1]), f2 = atomic_load(&fired[2]);
    sleep_ms(700);
    CHECK(atomic_load(&fired[1]) - f1 >= 7, "periodic timer fired %d times in 0.7 s", atomic_load(&fired[1]) - f1);
    CHECK(atomic_load(&fired[2]) - f2 >= 5, "per-thread timer fired %d times in 0.7 s", atomic_load(&fired[2]) - f2);
    CHECK(!wrong_thread, "the per-thread timer's signal reached thread %d", (int)wrong_thread);
    CHECK(atomic_load(&fired[0]) == 0, "a signal came with value 0");
    syscall(SYS_timer_gettime, none, &its);
    CHECK(ts_sec(its.it_value) < left - 0.5, "SIGEV_NONE timer does not count down (%f -> %f)", left, ts_sec(its.it_value));
    finish();
}

/* ---- blocking ---- */
enum { B_NANOSLEEP_REM, B_NANOSLEEP_NULL, B_CLOCK_NANOSLEEP, B_READ, B_FUTEX, B_FUTEX_TIMEOUT, B_WAIT4, B_POLL,
       B_POLL_TIMEOUT, B_EPOLL, B_SIGTIMEDWAIT, NBLOCK };
static const char *bnames[NBLOCK] = {"nanosleep", "nanosleep(NULL rem)", "clock_nanosleep", "read", "futex",
                                     "futex with timeout", "wait4", "poll", "poll with timeout", "epoll_wait",
                                     "sigtimedwait"};
#define SLEEP_S 8
static struct {
    volatile long rc;
    volatile int err;
    volatile int done;
    double start, end;
} bres[NBLOCK];
static int pipes[4][2]; /* read, poll, poll with timeout, epoll */
static int epfd;
static uint32_t futex_word, futex_word2;
static pid_t wait_child;

static void *blocker(void *arg) {
    long k = (long)arg;
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    bres[k].start = now_mono();
    long rc = 0;
    char c;
    struct timespec ts = {SLEEP_S, 0}, rem = {0, 0};
    struct pollfd pfd;
    switch (k) {
        case B_NANOSLEEP_REM: rc = syscall(SYS_nanosleep, &ts, &rem); break;
        case B_NANOSLEEP_NULL: rc = syscall(SYS_nanosleep, &ts, NULL); break;
        case B_CLOCK_NANOSLEEP: rc = syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &ts, &rem); break;
        case B_READ: rc = read(pipes[0][0], &c, 1); break;
        case B_FUTEX: rc = syscall(SYS_futex, &futex_word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0); break;
        case B_FUTEX_TIMEOUT: {
            struct timespec to = {600, 0};
            rc = syscall(SYS_futex, &futex_word2, FUTEX_WAIT_PRIVATE, 0, &to, NULL, 0);
            break;
        }
        case B_WAIT4: {
            int st = 0;
            rc = syscall(SYS_wait4, wait_child, &st, 0, NULL);
            if (rc == wait_child) rc = WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM ? 1 : -2;
            break;
        }
        case B_POLL:
            pfd.fd = pipes[1][0];
            pfd.events = POLLIN;
            rc = syscall(SYS_poll, &pfd, 1, -1);
            break;
        case B_POLL_TIMEOUT:
            pfd.fd = pipes[2][0];
            pfd.events = POLLIN;
            rc = syscall(SYS_poll, &pfd, 1, 600000);
            break;
        case B_EPOLL: {
            struct epoll_event ev;
            rc = syscall(SYS_epoll_wait, epfd, &ev, 1, -1);
            break;
        }
        case B_SIGTIMEDWAIT: {
            sigset_t usr2;
            sigemptyset(&usr2);
            sigaddset(&usr2, SIGUSR2);
            struct timespec to = {600, 0};
            rc = sigtimedwait(&usr2, NULL, &to);
            break;
        }
    }
    bres[k].err = rc < 0 ? errno : 0;
    bres[k].rc = rc;
    bres[k].end = now_mono();
    bres[k].done = 1;
    return NULL;
}

static void mode_blocking(void) {
    install_usr1();
    for (int i = 0; i < 4; ++i) pipe(pipes[i]);
    epfd = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 7};
    epoll_ctl(epfd, EPOLL_CTL_ADD, pipes[3][0], &ev);
    sigset_t usr2;
    sigemptyset(&usr2);
    sigaddset(&usr2, SIGUSR2);
    sigprocmask(SIG_BLOCK, &usr2, NULL);
    wait_child = fork();
    if (wait_child == 0) {
        for (;;) pause();
    }
    pthread_t th[NBLOCK];
    for (long k = 0; k < NBLOCK; ++k) pthread_create(&th[k], NULL, blocker, (void *)k);
    sleep_ms(500); /* every thread is inside its syscall */
    ready();
    wait_usr1();
    /* nothing may have returned yet: the sleeps take SLEEP_S seconds */
    for (int k = 0; k < NBLOCK; ++k)
        if (bres[k].done) {
            size_t n = strlen(why);
            snprintf(why + n, sizeof why - n, "%s returned %ld (%s) before it was woken; ", bnames[k], bres[k].rc,
                     strerror(bres[k].err));
        }
    for (int i = 0; i < 4; ++i) write(pipes[i][1], "x", 1);
    futex_word = 1;
    syscall(SYS_futex, &futex_word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
    futex_word2 = 1;
    syscall(SYS_futex, &futex_word2, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
    kill(wait_child, SIGTERM);
    kill(getpid(), SIGUSR2); /* blocked everywhere: only sigtimedwait takes it */
    double deadline = now_mono() + 30;
    for (int k = 0; k < NBLOCK; ++k)
        while (!bres[k].done && now_mono() < deadline) sleep_ms(10);
    static const long want[NBLOCK] = {0, 0, 0, 1, 0, 0, 1, 1, 1, 1, SIGUSR2};
    for (int k = 0; k < NBLOCK; ++k) {
        CHECK(bres[k].done, "%s never returned", bnames[k]);
        CHECK(bres[k].rc == want[k], "%s returned %ld (%s), expected %ld", bnames[k], bres[k].rc,
              bres[k].rc < 0 ? strerror(bres[k].err) : "", want[k]);
    }
    for (int k = B_NANOSLEEP_REM; k <= B_CLOCK_NANOSLEEP; ++k)
        CHECK(bres[k].end - bres[k].start >= SLEEP_S, "%s returned after %.2f s instead of %d", bnames[k],
              bres[k].end - bres[k].start, SLEEP_S);
    finish();
}

/* ---- stopped ---- */
static char proc_state(pid_t pid) {
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY);
    if (fd < 0) return '?';
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return '?';
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    return p && p[1] ? p[2] : '?';
}

static long read_count(const char *path) {
    char buf[64] = "";
    int fd = open(path, O_RDONLY);
    if (fd < 0) return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    return n > 0 ? atol(buf) : -1;
}

static void mode_stopped(void) {
    install_usr1();
    pid_t child = fork();
    if (child == 0) {
        char buf[32];
        for (long i = 1;; ++i) {
            snprintf(buf, sizeof buf, "%ld\n", i);
            put_file("/shared/stopped_count", buf);
            sleep_ms(10);
        }
    }
    sleep_ms(200);
    kill(child, SIGSTOP);
    int st = 0;
    waitpid(child, &st, WUNTRACED);
    ready();
    wait_usr1();
    CHECK(proc_state(child) == 'T', "the stopped child is in state %c", proc_state(child));
    long c0 = read_count("/shared/stopped_count");
    sleep_ms(300);
    CHECK(read_count("/shared/stopped_count") == c0, "the stopped child ran (count %ld -> %ld)", c0,
          read_count("/shared/stopped_count"));
    kill(child, SIGCONT);
    CHECK(waitpid(child, &st, WCONTINUED) == child && WIFCONTINUED(st), "waitpid did not report the continue");
    sleep_ms(300);
    CHECK(read_count("/shared/stopped_count") > c0, "the child does not run after SIGCONT");
    CHECK(proc_state(child) != 'T', "the child is still stopped after SIGCONT");
    kill(child, SIGKILL);
    waitpid(child, &st, 0);
    finish();
}

/* ---- zombie ---- */
static void mode_zombie(void) {
    install_usr1();
    pid_t a = fork();
    if (a == 0) _exit(42);
    pid_t b = fork();
    if (b == 0) {
        signal(SIGTERM, SIG_DFL);
        kill(getpid(), SIGTERM);
        for (;;) pause();
    }
    while (proc_state(a) != 'Z' || proc_state(b) != 'Z') sleep_ms(10);
    ready();
    wait_usr1();
    CHECK(proc_state(a) == 'Z' && proc_state(b) == 'Z', "children in states %c and %c instead of zombies",
          proc_state(a), proc_state(b));
    int st = 0;
    CHECK(waitpid(a, &st, WNOHANG) == a && WIFEXITED(st) && WEXITSTATUS(st) == 42, "first zombie: status %#x", st);
    st = 0;
    CHECK(waitpid(b, &st, WNOHANG) == b && WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM, "second zombie: status %#x", st);
    finish();
}

/* ---- shm ---- */
static void mode_shm(void) {
    install_usr1();
    put_file("/dev/shm/taskwork.txt", "kept in /dev/shm\n");
    int fd = shm_open("/taskwork", O_RDWR | O_CREAT, 0600);
    if (fd < 0 || ftruncate(fd, 8192) != 0) {
        snprintf(why, sizeof why, "shm_open: %s", strerror(errno));
        finish();
    }
    char *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    strcpy(m, "first page");
    strcpy(m + 4096, "second page");
    ready();
    wait_usr1();
    char buf[64] = "";
    fd = open("/dev/shm/taskwork.txt", O_RDONLY);
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
    if (fd >= 0) close(fd);
    CHECK(n > 0 && !strcmp(buf, "kept in /dev/shm\n"), "/dev/shm/taskwork.txt holds \"%s\"", buf);
    CHECK(!strcmp(m, "first page") && !strcmp(m + 4096, "second page"), "the shm mapping holds \"%s\"", m);
    /* the mapping is still the object's: a write shows through a fresh open */
    strcpy(m + 100, "written after restore");
    fd = shm_open("/taskwork", O_RDONLY, 0);
    memset(buf, 0, sizeof buf);
    n = fd >= 0 ? pread(fd, buf, 21, 100) : -1;
    if (fd >= 0) close(fd);
    CHECK(n == 21 && !strcmp(buf, "written after restore"), "the shm object reads \"%s\" after a write to the mapping", buf);
    finish();
}

/* ---- locks ---- */
static int child_sees(int (*probe)(void)) {
    pid_t c = fork();
    if (c == 0) _exit(probe());
    int st = 0;
    waitpid(c, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 99;
}

static int probe_flock(void) {
    int fd = open("/tmp/flock.f", O_RDWR);
    return fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK ? 0 : 1;
}

static pid_t locker;
static int probe_posix(void) {
    int fd = open("/tmp/posix.f", O_RDWR);
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 10, .l_len = 1};
    if (fd < 0 || fcntl(fd, F_GETLK, &fl) != 0 || fl.l_type != F_WRLCK || fl.l_pid != locker) return 1;
    /* the read-locked range: a read lock fits, a write lock does not */
    struct flock rd = {.l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 150, .l_len = 1};
    if (fcntl(fd, F_SETLK, &rd) != 0) return 2;
    struct flock wr = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 160, .l_len = 1};
    if (fcntl(fd, F_GETLK, &wr) != 0 || wr.l_type != F_RDLCK) return 3;
    /* unlocked past the ranges */
    struct flock free_ = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 500, .l_len = 1};
    if (fcntl(fd, F_GETLK, &free_) != 0 || free_.l_type != F_UNLCK) return 4;
    return 0;
}

static int probe_ofd(void) {
    int fd = open("/tmp/ofd.f", O_RDWR);
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
    if (fd < 0 || fcntl(fd, F_OFD_GETLK, &fl) != 0) return 1;
    return fl.l_type == F_WRLCK && fl.l_start == 20 && fl.l_len == 10 && fl.l_pid == -1 ? 0 : 2;
}

static void mode_locks(void) {
    install_usr1();
    locker = getpid();
    int a = open("/tmp/flock.f", O_RDWR | O_CREAT, 0644);
    int b = open("/tmp/posix.f", O_RDWR | O_CREAT, 0644);
    int c = open("/tmp/ofd.f", O_RDWR | O_CREAT, 0644);
    ftruncate(b, 1000);
    flock(a, LOCK_EX);
    struct flock w = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 100};
    struct flock r = {.l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 100, .l_len = 100};
    fcntl(b, F_SETLK, &w);
    fcntl(b, F_SETLK, &r);
    struct flock o = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 20, .l_len = 10};
    if (fcntl(c, F_OFD_SETLK, &o) != 0) snprintf(why, sizeof why, "F_OFD_SETLK: %s", strerror(errno));
    int pre = child_sees(probe_flock) | child_sees(probe_posix) | child_sees(probe_ofd);
    if (pre) snprintf(why, sizeof why, "the probes fail before the checkpoint");
    ready();
    wait_usr1();
    int rc = child_sees(probe_flock);
    CHECK(rc == 0, "the flock is not held (probe %d)", rc);
    rc = child_sees(probe_posix);
    CHECK(rc == 0, "the POSIX record locks are not held (probe %d)", rc);
    rc = child_sees(probe_ofd);
    CHECK(rc == 0, "the OFD lock is not held (probe %d)", rc);
    finish();
}

/* ---- deleted_map ---- */
static void mode_deleted_map(void) {
    install_usr1();
    int fd = open("/tmp/deleted.f", O_RDWR | O_CREAT | O_TRUNC, 0644);
    ftruncate(fd, 4096);
    char *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    unlink("/tmp/deleted.f");
    strcpy(m, "deleted but mapped");
    ready();
    wait_usr1();
    CHECK(!strcmp(m, "deleted but mapped"), "the mapping holds \"%s\"", m);
    finish();
}

/* ---- lease ---- */
static void mode_lease(void) {
    install_usr1();
    int fd = open("/tmp/lease.f", O_RDONLY | O_CREAT, 0644);
    if (fd < 0 || fcntl(fd, F_SETLEASE, F_RDLCK) != 0) snprintf(why, sizeof why, "F_SETLEASE: %s", strerror(errno));
    ready();
    wait_usr1();
    CHECK(fcntl(fd, F_GETLEASE) == F_RDLCK, "the lease is gone");
    finish();
}

/* ---- vfork ---- */
static void mode_vfork(void) {
    install_usr1();
    pid_t parent = fork();
    if (parent == 0) {
        if (vfork() == 0) {
            struct timespec ts = {3600, 0};
            syscall(SYS_nanosleep, &ts, NULL);
            _exit(0);
        }
        _exit(0);
    }
    sleep_ms(300);
    ready();
    wait_usr1();
    CHECK(proc_state(parent) == 'D', "the vfork parent is in state %c", proc_state(parent));
    kill(parent, SIGKILL);
    finish();
}

/* ---- traced ---- */
#include <sys/ptrace.h>
static void mode_traced(void) {
    install_usr1();
    pid_t child = fork();
    if (child == 0) {
        ptrace(PTRACE_TRACEME, 0, NULL, NULL);
        raise(SIGSTOP);
        for (;;) sleep_ms(1000);
    }
    int st = 0;
    waitpid(child, &st, 0); /* the child sits in a ptrace stop, traced by us */
    ready();
    wait_usr1();
    CHECK(proc_state(child) == 't', "the traced child is in state %c", proc_state(child));
    kill(child, SIGKILL);
    waitpid(child, &st, 0);
    finish();
}

/* ---- namespaces ---- */
static void read_text(const char *path, char *buf, size_t len) {
    int fd = open(path, O_RDONLY);
    ssize_t n = fd >= 0 ? read(fd, buf, len - 1) : -1;
    if (fd >= 0) close(fd);
    buf[n > 0 ? n : 0] = 0;
}

static void mode_namespaces(void) {
    install_usr1();
    char offsets[128], cgroup[1024], offsets2[128], cgroup2[1024];
    read_text("/proc/self/timens_offsets", offsets, sizeof offsets);
    read_text("/proc/self/cgroup", cgroup, sizeof cgroup);
    struct timespec mono0, boot0;
    clock_gettime(CLOCK_MONOTONIC, &mono0);
    clock_gettime(CLOCK_BOOTTIME, &boot0);
    ready();
    wait_usr1();
    read_text("/proc/self/timens_offsets", offsets2, sizeof offsets2);
    read_text("/proc/self/cgroup", cgroup2, sizeof cgroup2);
    struct timespec mono, boot;
    clock_gettime(CLOCK_MONOTONIC, &mono);
    clock_gettime(CLOCK_BOOTTIME, &boot);
    CHECK(!strcmp(offsets, offsets2), "time namespace offsets \"%s\" became \"%s\"", offsets, offsets2);
    CHECK(strstr(offsets, "monotonic") && atol(strstr(offsets, "monotonic") + 9) == 86400,
          "monotonic offset is not the config's: \"%s\"", offsets);
    /* every hierarchy (v1 ones too on a hybrid host) still at the namespace's root */
    int at_root = 1;
    for (char *line = cgroup2; *line;) {
        char *nl = strchr(line, '\n');
        if (!nl) break;
        if (nl - line < 2 || nl[-1] != '/' || nl[-2] != ':') at_root = 0;
        line = nl + 1;
    }
    CHECK(!strcmp(cgroup, cgroup2), "/proc/self/cgroup changed across the restore");
    CHECK(at_root && cgroup2[0], "the cgroup namespace root moved: %.200s", cgroup2);
    CHECK(ts_sec(mono) >= ts_sec(mono0) && ts_sec(mono) < ts_sec(mono0) + 600, "CLOCK_MONOTONIC went from %.3f to %.3f",
          ts_sec(mono0), ts_sec(mono));
    CHECK(ts_sec(boot) >= ts_sec(boot0) && ts_sec(mono0) > 86400, "CLOCK_BOOTTIME went from %.3f to %.3f (monotonic %.3f)",
          ts_sec(boot0), ts_sec(boot), ts_sec(mono0));
    finish();
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: taskwork MODE\n");
        return 2;
    }
    const char *m = argv[1];
    if (!strcmp(m, "itimers")) mode_itimers();
    if (!strcmp(m, "posix_timers")) mode_posix_timers();
    if (!strcmp(m, "blocking")) mode_blocking();
    if (!strcmp(m, "stopped")) mode_stopped();
    if (!strcmp(m, "zombie")) mode_zombie();
    if (!strcmp(m, "shm")) mode_shm();
    if (!strcmp(m, "locks")) mode_locks();
    if (!strcmp(m, "deleted_map")) mode_deleted_map();
    if (!strcmp(m, "vfork")) mode_vfork();
    if (!strcmp(m, "lease")) mode_lease();
    if (!strcmp(m, "namespaces")) mode_namespaces();
    if (!strcmp(m, "traced")) mode_traced();
    fprintf(stderr, "unknown mode %s\n", m);
    return 2;
}
