#pragma once
// The dumped state of one process and its threads. The *Record structs are
// fixed-layout plain data (explicit widths, no pointers) so they can be
// written as image records byte for byte; variable-length parts (groups,
// paths, auxv, siginfos, XSAVE, seccomp programs) sit beside them.
#include <linux/filter.h>
#include <signal.h>
#include <sys/user.h>

#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include "cr/memory/vma.hpp"

namespace myrt::cr {

constexpr int kMaxPidNsDepth = 8;
constexpr int kNumRlimits = 16;
constexpr int kNumSignals = 64;

struct TaskIdsRecord {
    int32_t pid;   // tgid, as the dumper sees it
    int32_t ppid;
    int32_t pgid;
    int32_t sid;
    int32_t ns_depth;                  // entries used below
    int32_t ns_pid[kMaxPidNsDepth];    // NSpid: outermost first, innermost last
    int32_t ns_pgid;                   // innermost NSpgid
    int32_t ns_sid;                    // innermost NSsid
    int32_t pad;
};

struct CredsRecord {
    uint32_t uid[4];  // real, effective, saved, filesystem
    uint32_t gid[4];
    uint64_t cap_inheritable;
    uint64_t cap_permitted;
    uint64_t cap_effective;
    uint64_t cap_bounding;
    uint64_t cap_ambient;
    uint32_t securebits;
    uint32_t no_new_privs;
};

struct RlimitRecord {
    uint64_t cur;  // RLIM_INFINITY is ~0
    uint64_t max;
};

// The kernel's struct sigaction for rt_sigaction on x86_64.
struct SigactionRecord {
    uint64_t handler;
    uint64_t flags;
    uint64_t restorer;
    uint64_t mask;
};

// The fields of struct prctl_mm_map that PR_SET_MM_MAP takes back.
struct MmRecord {
    uint64_t start_code, end_code, start_data, end_data, start_brk, brk, start_stack;
    uint64_t arg_start, arg_end, env_start, env_end;
};

struct ItimerRecord {
    int64_t interval_sec, interval_usec, value_sec, value_usec;
};

struct ProcessCoreRecord {
    TaskIdsRecord ids;
    CredsRecord creds;
    RlimitRecord rlimits[kNumRlimits];
    SigactionRecord sigactions[kNumSignals];  // index = signal - 1
    MmRecord mm;
    ItimerRecord itimers[3];  // ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF
    uint32_t personality;
    uint32_t umask;
    uint32_t seccomp_mode;    // 0 none, 1 strict, 2 filter
    uint32_t nthreads;
    uint32_t dumpable;
    uint32_t child_subreaper;
    uint32_t stopped;         // the process sat in a group-stop (SIGSTOP) when seized
    uint32_t leader_exited;   // zombie leader with live threads: `threads` lacks the leader
    char comm[16];
};

struct ThreadCoreRecord {
    int32_t tid;        // as the dumper sees it
    int32_t ns_tid;     // innermost NSpid of the thread
    uint64_t blocked;   // blocked signal mask
    uint64_t altstack_sp;
    uint64_t altstack_size;
    int32_t altstack_flags;
    int32_t pdeath_signal;
    uint64_t robust_list_head;
    uint64_t robust_list_len;
    uint64_t rseq_abi_pointer;  // 0: no rseq registered
    uint32_t rseq_abi_size;
    uint32_t rseq_signature;
    user_regs_struct regs;      // normalized: orig_rax = -1, restarts resolved; fs_base = TLS
    uint32_t fpu_format;        // FpuFormat
    uint32_t fpu_size;
    char comm[16];
    // set_tid_address pointer (CLONE_CHILD_CLEARTID): the kernel zeroes it and
    // futex-wakes it at the thread's exit, which is what pthread_join waits on.
    uint64_t clear_child_tid;
};

// One POSIX timer (timer_create) of the process, from /proc/PID/timers and
// an injected timer_gettime/timer_getoverrun. Times are relative: what was
// left to run when the process was frozen.
struct PosixTimerRecord {
    int32_t id;          // the kernel's timer id, the program's timer_t
    int32_t clock;       // clockid_t given to timer_create
    int32_t signo;
    int32_t notify;      // SIGEV_SIGNAL, SIGEV_NONE, SIGEV_THREAD_ID | SIGEV_SIGNAL
    int32_t target;      // thread (SIGEV_THREAD_ID) or process, innermost pid namespace id
    int32_t overrun;     // timer_getoverrun at dump time (the kernel has no way to set it back)
    uint64_t sival;      // sigev_value
    int64_t interval_sec, interval_nsec, value_sec, value_nsec;
};

// One file lock held by the process through one of its fds, from the
// `lock:` lines of /proc/PID/fdinfo/FD (docs/cr-process.md, "File locks").
struct FileLockRecord {
    int32_t fd;
    uint32_t kind;       // FileLockKind
    uint32_t write;      // 1 exclusive (WRITE), 0 shared (READ)
    uint32_t pad;
    int64_t start;
    int64_t end;         // -1: to EOF
};
enum class FileLockKind : uint32_t { flock = 1, posix = 2, ofd = 3 };

// An unreaped child of the process: it exited, and its parent has not waited
// for it yet. Restored as a zombie again (same pid, group, session and wait
// status), so the parent's waitpid gets what it would have got.
struct ZombieRecord {
    int32_t pid;          // as the dumper saw it (informational)
    int32_t ns_pid;       // innermost pid namespace ids
    int32_t ns_pgid;
    int32_t ns_sid;
    int32_t wait_status;  // what waitpid reports: exit code << 8, or the killing signal
    int32_t exit_signal;  // the signal its parent gets (SIGCHLD unless cloned otherwise)
};

// Scheduling of one thread, as sched_getattr(2) reports it.
struct ThreadSchedRecord {
    uint32_t policy;
    uint32_t flags;
    int32_t nice;
    uint32_t priority;
    uint64_t runtime, deadline, period;  // SCHED_DEADLINE only
};

// Per-process knobs kept outside the task's memory.
struct ProcessTuningRecord {
    uint32_t present;        // 0: not dumped, nothing to restore
    int32_t oom_score_adj;
    uint32_t thp_disable;    // PR_GET_THP_DISABLE
    uint32_t loginuid;       // (uint32_t)-1: unset
};

static_assert(std::is_trivially_copyable_v<ProcessCoreRecord>);
static_assert(std::is_trivially_copyable_v<ThreadCoreRecord>);
static_assert(sizeof(siginfo_t) == 128);

struct ThreadState {
    ThreadCoreRecord core{};
    // The kernel keeps credentials per thread: a raw setresuid or capset
    // changes only its caller. The process's core.creds are its first live
    // thread's.
    CredsRecord creds{};
    std::vector<uint32_t> groups;
    std::vector<std::byte> fpu;         // XSAVE (or FXSAVE) area
    std::vector<siginfo_t> pending;     // per-thread pending signals, queue order
};

struct ProcessState {
    ProcessCoreRecord core{};
    std::vector<uint32_t> groups;
    std::string cwd, root, exe;
    std::vector<uint64_t> auxv;                      // (type, value) pairs up to AT_NULL
    std::vector<siginfo_t> shared_pending;           // process-wide pending signals
    std::vector<std::vector<sock_filter>> seccomp;   // index 0 = installed first (oldest)
    std::vector<ThreadState> threads;                // leader first (absent if leader_exited)
    std::vector<Vma> vmas;
    std::vector<PosixTimerRecord> posix_timers;      // id order
    std::vector<FileLockRecord> file_locks;          // only with --file-locks
    std::vector<ZombieRecord> zombies;               // unreaped children
    ProcessTuningRecord tuning{};
    std::vector<ThreadSchedRecord> thread_sched;     // for the first threads of `threads` (all, as dumped)
};

}  // namespace myrt::cr
