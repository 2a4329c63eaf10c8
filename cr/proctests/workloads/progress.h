/* The page a workload shares with its test through a MAP_SHARED file
 * mapping: the test reads progress and writes commands without any fd
 * having to survive a restore. */
#pragma once
#include <stdint.h>

enum workload_cmd { CMD_NONE = 0, CMD_CHECK_MEMORY = 1, CMD_UNBLOCK = 2, CMD_EXIT = 3, CMD_CHECK_SECCOMP = 4 };

struct progress {
    volatile uint64_t counter;        /* main loop iterations, from a local variable */
    volatile uint32_t ready;          /* setup done */
    volatile uint32_t cmd;            /* enum workload_cmd, written by the test */
    volatile uint32_t cmd_done;       /* last command completed */
    volatile uint32_t memory_ok;      /* 1 ok, 2 bad pattern */
    volatile uint64_t memory_bad_at;  /* first bad address */
    volatile uint32_t usr1_count;     /* SIGUSR1 handler runs */
    volatile uint32_t usr2_count;
    volatile int32_t usr2_value;      /* si_value of the queued SIGUSR2 */
    volatile uint32_t rt_count;
    volatile int32_t rt_value;        /* si_value of the per-thread RT signal */
    volatile int32_t pid_at_start;
    volatile int32_t pid_changed;     /* getpid() differed from pid_at_start */
    volatile int32_t tid_changed;
    volatile int32_t on_altstack;     /* the SIGUSR1 handler ran on the alternate stack */
    volatile int32_t clock_ok;        /* clock_gettime (vDSO) keeps moving forward */
    volatile uint64_t thread_counter[16];
    volatile int32_t thread_tid[16];
    volatile int32_t thread_tls_ok[16];
    volatile int32_t seccomp_errno;
    volatile uint64_t child_counter;  /* "tree": the forked child's loop */
    volatile int32_t child_pid;       /* getpid() in the child */
    volatile int32_t child_sid_ok;    /* getsid(0) == getpid() each round */
    volatile int32_t child_ppid_ok;   /* getppid() == the parent's pid each round */
    volatile int32_t fpu_ok;          /* rounding mode (x87 CW / MXCSR, in XSAVE) still toward zero */   /* errno of getpriority() under the test filters */
};
