// Dumping a task's state (ids, creds, signals, limits, mm fields, rseq).
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cr/task/dump_task.hpp"
#include "cr/task/file_locks.hpp"
#include "cr/task/posix_timers.hpp"
#include "cr/task/proc_status.hpp"
#include "support.hpp"
#include "util/error.hpp"

using namespace myrt::cr;
using namespace myrt::cr::test;

TEST(ProcParse, LimitsAndStat) {
    auto limits = parse_limits(
        "Limit                     Soft Limit           Hard Limit           Units     \n"
        "Max cpu time              unlimited            unlimited            seconds   \n"
        "Max file size             unlimited            unlimited            bytes     \n"
        "Max data size             unlimited            unlimited            bytes     \n"
        "Max stack size            8388608              unlimited            bytes     \n"
        "Max core file size        0                    unlimited            bytes     \n"
        "Max resident set          unlimited            unlimited            bytes     \n"
        "Max processes             31500                31500                processes \n"
        "Max open files            1024                 524288               files     \n"
        "Max locked memory         8388608              8388608              bytes     \n"
        "Max address space         unlimited            unlimited            bytes     \n"
        "Max file locks            unlimited            unlimited            locks     \n"
        "Max pending signals       31500                31500                signals   \n"
        "Max msgqueue size         819200               819200               bytes     \n"
        "Max nice priority         0                    0                    \n"
        "Max realtime priority     0                    0                    \n"
        "Max realtime timeout      unlimited            unlimited            us        \n");
    EXPECT_EQ(limits[RLIMIT_STACK].cur, 8388608u);
    EXPECT_EQ(limits[RLIMIT_STACK].max, ~0ull);
    EXPECT_EQ(limits[RLIMIT_NOFILE].cur, 1024u);
    EXPECT_EQ(limits[RLIMIT_NOFILE].max, 524288u);
    EXPECT_EQ(limits[RLIMIT_RTTIME].cur, ~0ull);
    EXPECT_THROW(parse_limits("Limit\nMax cpu time   1  2\n"), myrt::Error);

    std::string stat = "42 (a) b (c)) S 1 42 42 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 1 1 1 18446744073709551615 "
                       "4194304 4198400 140737488347136 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 6299648 6300000 6303744 "
                       "140737488349000 140737488349100 140737488349100 140737488350000 0\n";
    auto s = parse_stat(stat);
    EXPECT_EQ(s.ppid, 1);
    EXPECT_EQ(s.pgid, 42);
    EXPECT_EQ(s.mm.start_code, 4194304u);
    EXPECT_EQ(s.mm.end_code, 4198400u);
    EXPECT_EQ(s.mm.start_data, 6299648u);
    EXPECT_EQ(s.mm.start_brk, 6303744u);
    EXPECT_EQ(s.mm.env_end, 140737488350000u);
}

// /proc/PID/timers as Linux 6.x prints it: per-process and per-thread signal
// notification and SIGEV_NONE, the value in hex.
TEST(ProcParse, PosixTimers) {
    auto t = parse_proc_timers(
        "ID: 0\nsignal: 34/0000000000001234\nnotify: signal/pid.100\nClockID: 1\n"
        "ID: 2\nsignal: 35/0000000000000002\nnotify: signal/tid.101\nClockID: 0\n"
        "ID: 3\nsignal: 0/0000000000000000\nnotify: none/pid.100\nClockID: 7\n",
        100);
    ASSERT_EQ(t.size(), 3u);
    EXPECT_EQ(t[0].id, 0);
    EXPECT_EQ(t[0].sival, 0x1234u);
    EXPECT_EQ(t[0].notify, SIGEV_SIGNAL);
    EXPECT_EQ(t[1].notify, SIGEV_SIGNAL | SIGEV_THREAD_ID);
    EXPECT_EQ(t[1].target, 101);
    EXPECT_EQ(t[2].notify, SIGEV_NONE);
    EXPECT_EQ(t[2].clock, 7);
    EXPECT_THROW(parse_proc_timers("signal: 1/0\n", 100), myrt::Error);
    EXPECT_THROW(parse_proc_timers("ID: 1\nnotify: carrier-pigeon/pid.3\n", 100), myrt::Error);
}

TEST(ProcParse, FdinfoLockLines) {
    auto p = parse_fd_lock_line("\t1: POSIX  ADVISORY  WRITE 42 00:2d:1234 100 199");
    EXPECT_EQ(p.kind, "POSIX");
    EXPECT_EQ(p.type, "WRITE");
    EXPECT_EQ(p.start, 100);
    EXPECT_EQ(p.end, 199);
    auto f = parse_fd_lock_line("\t2: FLOCK  ADVISORY  READ 42 00:2d:1234 0 EOF");
    EXPECT_EQ(f.kind, "FLOCK");
    EXPECT_EQ(f.end, -1);
    auto o = parse_fd_lock_line("\t3: OFDLCK ADVISORY  WRITE -1 00:2d:1234 20 29");
    EXPECT_EQ(o.kind, "OFDLCK");
    auto l = parse_fd_lock_line("\t4: LEASE  ACTIVE    READ 42 00:2d:1234 0 EOF");
    EXPECT_EQ(l.kind, "LEASE");
    EXPECT_THROW(parse_fd_lock_line("\t5: POSIX"), myrt::Error);
}

TEST(DumpTask, CollectsWhatTheWorkloadSetUp) {
    ProgressFile progress;
    PidNamespace ns;
    pid_t pid = start_counter(ns, 77, progress, 1, 2);
    {
        SeizedProcess proc(pid, SeizeMode::checkpoint);
        auto st = dump_process_state(proc);
        const auto& c = st.core;
        EXPECT_EQ(c.ids.pid, pid);
        EXPECT_EQ(c.ids.ns_depth, 2);
        EXPECT_EQ(c.ids.ns_pid[1], 77);
        EXPECT_EQ(c.ids.ns_pid[0], pid);
        EXPECT_EQ(std::string(c.comm), "cr_proc_counter");
        EXPECT_EQ(c.nthreads, 3u);
        ASSERT_EQ(st.threads.size(), 3u);
        EXPECT_EQ(st.threads[0].core.ns_tid, 77);
        EXPECT_EQ(c.creds.uid[0], ::getuid());
        EXPECT_EQ(c.creds.cap_effective, c.creds.cap_permitted);
        EXPECT_NE(c.sigactions[SIGUSR1 - 1].handler, 0u);
        EXPECT_TRUE(c.sigactions[SIGUSR1 - 1].flags & SA_ONSTACK);
        EXPECT_EQ(c.sigactions[SIGPIPE - 1].handler, reinterpret_cast<uint64_t>(SIG_IGN));
        EXPECT_EQ(c.sigactions[SIGTERM - 1].handler, reinterpret_cast<uint64_t>(SIG_DFL));
        ASSERT_EQ(st.shared_pending.size(), 1u);
        EXPECT_EQ(st.shared_pending[0].si_value.sival_int, 4242);
        ASSERT_EQ(st.threads[0].pending.size(), 1u);
        EXPECT_EQ(st.threads[0].pending[0].si_signo, SIGRTMIN + 3);
        EXPECT_TRUE(st.threads[0].core.blocked & (1ull << (SIGUSR2 - 1)));
        EXPECT_NE(st.threads[0].core.altstack_sp, 0u);
        EXPECT_EQ(st.threads[0].core.altstack_size, 65536u);
        EXPECT_EQ(st.threads[1].core.altstack_flags & SS_DISABLE, SS_DISABLE) << "threads have no altstack";
        for (auto& t : st.threads) {
            EXPECT_NE(t.core.rseq_abi_pointer, 0u);
            EXPECT_NE(t.core.robust_list_head, 0u);
            EXPECT_NE(t.core.regs.fs_base, 0u);
            EXPECT_EQ(static_cast<long>(t.core.regs.orig_rax), -1) << "registers are stored normalized";
            EXPECT_GT(t.fpu.size(), 512u);
        }
        EXPECT_NE(st.threads[0].core.regs.fs_base, st.threads[1].core.regs.fs_base);
        rlimit nofile{};
        ::getrlimit(RLIMIT_NOFILE, &nofile);
        EXPECT_EQ(c.rlimits[RLIMIT_NOFILE].cur, nofile.rlim_cur);
        mode_t um = ::umask(022);
        ::umask(um);
        EXPECT_EQ(c.umask, um);
        EXPECT_GT(c.mm.brk, c.mm.start_brk) << "the workload grew its heap with brk";
        EXPECT_GT(c.mm.env_end, c.mm.env_start);
        EXPECT_FALSE(st.auxv.empty());
        EXPECT_EQ(st.auxv[st.auxv.size() - 2], 0u);
        EXPECT_EQ(st.exe, CR_PROC_COUNTER);
        EXPECT_EQ(st.root, "/");
        bool heap = false, stack = false, vdso = false, vvar = false;
        for (auto& v : st.vmas) {
            heap |= v.rec.kind == VmaKind::heap;
            stack |= v.rec.kind == VmaKind::stack;
            vdso |= v.rec.kind == VmaKind::vdso;
            vvar |= v.rec.kind == VmaKind::vvar;
        }
        EXPECT_TRUE(heap && stack && vdso && vvar);
        EXPECT_EQ(st.core.seccomp_mode, 0u);
        proc.detach();
    }
    uint64_t c = progress->counter;
    EXPECT_TRUE(wait_until([&] { return progress->counter > c + 3; })) << "the dumped task must keep running";
    EXPECT_EQ(progress->usr2_count, 0u) << "dumping must not deliver pending signals";
    kill_and_reap(pid);
}
