/* A self-checking workload for process C/R tests (linked -static).
 * argv: PROGRESS_FILE MEMORY_MIB [THREADS [secure]]
 * "secure" also drops CAP_SYS_BOOT from the bounding set, sets no_new_privs,
 * installs two seccomp filters (getpriority fails with errno 42, then 43:
 * the newer filter's errno wins), umask 027, RLIMIT_NOFILE soft 512, cwd /tmp.
 * "tree" forks a child that starts its own session and counts in child_counter.
 * "zombie" ends the main thread with pthread_exit once the threads run: a
 * zombie leader with live threads.
 * Sets up: patterned anonymous memory (and a read-only and a PROT_NONE part),
 * a brk heap, a SIGUSR1 handler on an alternate stack, SIGUSR2 and an RT
 * signal blocked and pending (shared and per-thread), optional threads with
 * TLS; then counts in a loop and answers commands from the progress page. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <fenv.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <pthread.h>
#include <signal.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "progress.h"

static struct progress *P;
static uint64_t *big;
static size_t big_words;
static uint64_t *ro;
static uint64_t *none_page;
static uint64_t *shared_anon;
static unsigned char *heap_blocks[64];
static char altstack[65536];
static __thread int tls_slot = -1;
static int nthreads;

static uint64_t pattern(uint64_t i) { return (i * 0x9e3779b97f4a7c15ull) ^ 0x5a5a5a5a12345678ull; }

static void on_usr1(int sig, siginfo_t *si, void *uc) {
    (void)sig; (void)si; (void)uc;
    char probe;
    P->on_altstack = (&probe >= altstack && &probe < altstack + sizeof altstack);
    P->usr1_count++;
}

static void on_usr2(int sig, siginfo_t *si, void *uc) {
    (void)sig; (void)uc;
    P->usr2_value = si->si_value.sival_int;
    P->usr2_count++;
}

static void on_rt(int sig, siginfo_t *si, void *uc) {
    (void)sig; (void)uc;
    P->rt_value = si->si_value.sival_int;
    P->rt_count++;
}

static int check_memory(void) {
    for (size_t i = 0; i < big_words; i += 1) {
        if (big[i] != pattern(i)) { P->memory_bad_at = (uint64_t)(uintptr_t)&big[i]; return 2; }
    }
    for (size_t i = 0; i < 512; ++i)
        if (ro[i] != pattern(i + 7)) { P->memory_bad_at = (uint64_t)(uintptr_t)&ro[i]; return 2; }
    for (size_t i = 0; i < (1 << 17); ++i)
        if (shared_anon[i] != pattern(i + 5)) { P->memory_bad_at = (uint64_t)(uintptr_t)&shared_anon[i]; return 2; }
    mprotect(none_page, 4096, PROT_READ);
    for (size_t i = 0; i < 512; ++i)
        if (none_page[i] != pattern(i + 99)) { P->memory_bad_at = (uint64_t)(uintptr_t)&none_page[i]; mprotect(none_page, 4096, PROT_NONE); return 2; }
    mprotect(none_page, 4096, PROT_NONE);
    for (int b = 0; b < 64; ++b)
        for (int j = 0; j < 4000; ++j)
            if (heap_blocks[b][j] != (unsigned char)(b * 31 + j)) { P->memory_bad_at = (uint64_t)(uintptr_t)&heap_blocks[b][j]; return 2; }
    return 1;
}

static void *thread_main(void *arg) {
    int idx = (int)(intptr_t)arg;
    tls_slot = idx;
    pid_t tid = (pid_t)syscall(SYS_gettid);
    P->thread_tid[idx] = tid;
    uint64_t n = 0;
    for (;;) {
        n++;
        P->thread_counter[idx] = n;
        P->thread_tls_ok[idx] = (tls_slot == idx);
        if ((pid_t)syscall(SYS_gettid) != tid) P->tid_changed = 1;
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    return NULL;
}

static void install_errno_filter(int err) {
    struct sock_filter insns[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getpriority, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (unsigned)err),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {.len = 4, .filter = insns};
    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
}

static void secure_setup(void) {
    prctl(PR_CAPBSET_DROP, 22 /* CAP_SYS_BOOT */, 0, 0, 0);
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    install_errno_filter(42);
    install_errno_filter(43);
    umask(027);
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = 512;
    setrlimit(RLIMIT_NOFILE, &rl);
    if (chdir("/tmp") != 0) _exit(6);
}

int main(int argc, char **argv) {
    if (argc < 3) return 2;
    int fd = open(argv[1], O_RDWR);
    if (fd < 0) return 3;
    P = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (P == MAP_FAILED) return 4;
    close(fd);
    nthreads = argc > 3 ? atoi(argv[3]) : 0;
    if (argc > 4 && strcmp(argv[4], "secure") == 0) secure_setup();

    size_t bytes = (size_t)atoi(argv[2]) << 20;
    big_words = bytes / 8;
    big = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (big == MAP_FAILED) return 5;
    for (size_t i = 0; i < big_words; ++i) big[i] = pattern(i);
    /* Read-only contents after a guard page nobody may touch. */
    unsigned char *ro_area = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ro = (uint64_t *)(ro_area + 4096);
    for (size_t i = 0; i < 512; ++i) ro[i] = pattern(i + 7);
    /* Contents behind PROT_NONE: only /proc/PID/mem can read or write them. */
    none_page = (uint64_t *)ro_area;
    for (size_t i = 0; i < 512; ++i) none_page[i] = pattern(i + 99);
    mprotect(ro_area, 4096, PROT_NONE);
    mprotect(ro, 4096, PROT_READ);
    madvise(ro_area + 2 * 4096, 4096, MADV_DONTDUMP);
    /* Shared anonymous memory (shmem): no file to come back from. */
    shared_anon = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    for (size_t i = 0; i < (1 << 17); ++i) shared_anon[i] = pattern(i + 5);
    /* Small blocks come from brk: the [heap]. */
    for (size_t i = 0; i < (1 << 17); ++i)
        if (shared_anon[i] != pattern(i + 5)) { P->memory_bad_at = (uint64_t)(uintptr_t)&shared_anon[i]; return 2; }
    mprotect(none_page, 4096, PROT_READ);
    for (size_t i = 0; i < 512; ++i)
        if (none_page[i] != pattern(i + 99)) { P->memory_bad_at = (uint64_t)(uintptr_t)&none_page[i]; mprotect(none_page, 4096, PROT_NONE); return 2; }
    mprotect(none_page, 4096, PROT_NONE);
    for (int b = 0; b < 64; ++b) {
        heap_blocks[b] = malloc(4000);
        for (int j = 0; j < 4000; ++j) heap_blocks[b][j] = (unsigned char)(b * 31 + j);
    }

    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0};
    sigaltstack(&ss, NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_usr1;
    sa.sa_flags = SA_SIGINFO | SA_RESTART | SA_ONSTACK;
    sigaction(SIGUSR1, &sa, NULL);
    sa.sa_sigaction = on_usr2;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigaction(SIGUSR2, &sa, NULL);
    sa.sa_sigaction = on_rt;
    sigaction(SIGRTMIN + 3, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR2);
    sigaddset(&block, SIGRTMIN + 3);
    sigprocmask(SIG_BLOCK, &block, NULL);
    /* Shared pending: sigqueue to the process. Per-thread: to this thread. */
    union sigval v = {.sival_int = 4242};
    sigqueue(getpid(), SIGUSR2, v);
    siginfo_t si;
    memset(&si, 0, sizeof si);
    si.si_signo = SIGRTMIN + 3;
    si.si_code = SI_QUEUE;
    si.si_pid = getpid();
    si.si_value.sival_int = 77;
    syscall(SYS_rt_tgsigqueueinfo, getpid(), syscall(SYS_gettid), SIGRTMIN + 3, &si);

    if (argc > 4 && strcmp(argv[4], "tree") == 0) {
        pid_t parent = getpid();
        pid_t c = fork();
        if (c == 0) {
            setsid();
            P->child_pid = getpid();
            P->child_sid_ok = 1;
            P->child_ppid_ok = 1;
            uint64_t n = 0;
            for (;;) {
                n++;
                P->child_counter = n;
                if (getsid(0) != getpid()) P->child_sid_ok = 0;
                if (getppid() != parent) P->child_ppid_ok = 0;
                struct timespec ts = {0, 1000000};
                nanosleep(&ts, NULL);
            }
        }
    }
    for (int t = 0; t < nthreads && t < 16; ++t) {
        pthread_t th;
        pthread_create(&th, NULL, thread_main, (void *)(intptr_t)t);
    }

    /* Lives only in the FPU control registers: it survives a restore only if
     * the XSAVE area does. */
    fesetround(FE_TOWARDZERO);
    P->fpu_ok = 1;
    P->pid_at_start = getpid();
    pid_t tid = (pid_t)syscall(SYS_gettid);
    P->clock_ok = 1;
    struct timespec last;
    clock_gettime(CLOCK_MONOTONIC, &last);
    P->ready = 1;
    uint64_t counter = 0;
    if (argc > 4 && strcmp(argv[4], "zombie") == 0) {
        P->counter = 3;
        pthread_exit(NULL);
    }
    for (;;) {
        counter++;
        P->counter = counter;
        if (getpid() != P->pid_at_start) P->pid_changed = 1;
        if (fegetround() != FE_TOWARDZERO) P->fpu_ok = 0;
        if ((pid_t)syscall(SYS_gettid) != tid) P->tid_changed = 1;
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec < last.tv_sec || (now.tv_sec == last.tv_sec && now.tv_nsec < last.tv_nsec)) P->clock_ok = 0;
        last = now;
        uint32_t cmd = P->cmd;
        if (cmd != P->cmd_done) {
            if (cmd == CMD_CHECK_MEMORY) P->memory_ok = check_memory();
            if (cmd == CMD_UNBLOCK) sigprocmask(SIG_UNBLOCK, &block, NULL);
            if (cmd == CMD_EXIT) _exit(0);
            if (cmd == CMD_CHECK_SECCOMP) {
                errno = 0;
                long r = syscall(SYS_getpriority, PRIO_PROCESS, 0);
                P->seccomp_errno = r < 0 ? errno : 0;
            }
            P->cmd_done = cmd;
        }
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
}
