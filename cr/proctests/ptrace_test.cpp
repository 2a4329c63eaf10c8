// Seizing, registers and syscall injection on live processes.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

#include "cr/memory/pagemap.hpp"
#include "cr/memory/restore_memory.hpp"
#include "cr/memory/vma.hpp"
#include "cr/ptrace/inject.hpp"
#include "cr/ptrace/proc_scan.hpp"
#include "cr/ptrace/registers.hpp"
#include "cr/ptrace/remote_memory.hpp"
#include "cr/ptrace/seize.hpp"
#include "cr/ptrace/syscall_batch.hpp"
#include "cr/task/proc_status.hpp"
#include "cr/ptrace/thread_info.hpp"
#include "support.hpp"
#include "util/error.hpp"

using namespace myrt::cr;
using namespace myrt::cr::test;
using namespace std::chrono_literals;

TEST(Seize, StopsEveryThreadAndDetachLetsThemRunOn) {
    ProgressFile progress;
    pid_t pid = start_counter_child(progress, 1, 3);
    ASSERT_TRUE(wait_until([&] { return progress->thread_counter[2] > 0; }));
    {
        SeizedProcess proc(pid, SeizeMode::checkpoint);
        EXPECT_EQ(proc.threads().size(), 4u);
        EXPECT_EQ(proc.threads()[0].tid(), pid);
        EXPECT_FALSE(proc.was_stopped());
        for (auto& t : proc.threads()) EXPECT_EQ(task_state_letter(t.tid()), 't') << t.tid();
        uint64_t c = progress->counter, t0 = progress->thread_counter[0];
        std::this_thread::sleep_for(50ms);
        EXPECT_EQ(progress->counter, c) << "a seized process must not run";
        EXPECT_EQ(progress->thread_counter[0], t0);
        proc.detach();
    }
    uint64_t c = progress->counter, t0 = progress->thread_counter[0];
    EXPECT_TRUE(wait_until([&] { return progress->counter > c + 5 && progress->thread_counter[0] > t0 + 5; }));
    kill_and_reap(pid);
}

TEST(Seize, StoppedProcessStaysStoppedAfterDetach) {
    ProgressFile progress;
    pid_t pid = start_counter_child(progress, 1);
    ASSERT_EQ(::kill(pid, SIGSTOP), 0);
    ASSERT_TRUE(wait_until([&] { return task_state_letter(pid) == 'T'; }));
    {
        SeizedProcess proc(pid, SeizeMode::checkpoint);
        EXPECT_TRUE(proc.was_stopped());
        // Injection resumes the task for a moment; it must still end stopped.
        EXPECT_EQ(inject_syscall(pid, SYS_getpid), pid);
        proc.detach();
    }
    std::this_thread::sleep_for(50ms);
    EXPECT_EQ(task_state_letter(pid), 'T');
    uint64_t c = progress->counter;
    std::this_thread::sleep_for(30ms);
    EXPECT_EQ(progress->counter, c);
    ASSERT_EQ(::kill(pid, SIGCONT), 0);
    EXPECT_TRUE(wait_until([&] { return progress->counter > c + 3; }));
    kill_and_reap(pid);
}

TEST(Seize, TreeFindsChildren) {
    pid_t parent = ::fork();
    ASSERT_GE(parent, 0);
    if (parent == 0) {
        for (int i = 0; i < 2; ++i)
            if (::fork() == 0)
                for (;;) ::pause();
        for (;;) ::pause();
    }
    ASSERT_TRUE(wait_until([&] { return list_children(parent).size() == 2; }));
    auto kids = list_children(parent);
    {
        SeizedTree tree(parent, SeizeMode::checkpoint);
        EXPECT_EQ(tree.processes().size(), 3u);
        tree.detach();
    }
    for (pid_t k : kids) ::kill(k, SIGKILL);
    kill_and_reap(parent);
}

TEST(Seize, MissingProcessIsAClearError) {
    try {
        SeizedProcess proc(999999, SeizeMode::checkpoint);
        FAIL() << "seizing a missing pid succeeded";
    } catch (const myrt::Error& e) {
        EXPECT_NE(std::string(e.what()).find("999999"), std::string::npos) << e.what();
    }
}

TEST(Registers, XstateIsReadAndWrittenBack) {
    ProgressFile progress;
    pid_t pid = start_counter_child(progress, 1);
    {
        SeizedProcess proc(pid, SeizeMode::checkpoint);
        Registers r = get_registers(pid);
        EXPECT_EQ(r.fpu_format, FpuFormat::xsave);
        EXPECT_GT(r.fpu.size(), 512u);
        EXPECT_LE(r.fpu.size(), xsave_area_size());
        EXPECT_NE(r.gp.fs_base, 0u) << "TLS base expected in fs_base";
        set_registers(pid, r);
        Registers again = get_registers(pid);
        EXPECT_EQ(again.gp.rip, r.gp.rip);
        EXPECT_EQ(again.gp.fs_base, r.gp.fs_base);
        EXPECT_EQ(again.fpu.size(), r.fpu.size());
        proc.detach();
    }
    uint64_t c = progress->counter;
    EXPECT_TRUE(wait_until([&] { return progress->counter > c + 3; }));
    kill_and_reap(pid);
}

TEST(Inject, SyscallsRunInsideTheTask) {
    ProgressFile progress;
    pid_t pid = start_counter_child(progress, 1);
    {
        SeizedProcess proc(pid, SeizeMode::checkpoint);
        uint64_t mask_before = get_sigmask(pid);
        auto regs_before = get_gp_registers(pid);
        {
            Injector inj(pid);
            EXPECT_EQ(inj.syscall(SYS_getpid), pid);
            EXPECT_EQ(inj.syscall(SYS_getppid), ::getpid());
            EXPECT_EQ(inj.syscall(SYS_close, 12345), -EBADF);
            RemoteScratch scratch(inj, 100);
            EXPECT_EQ(scratch.size(), 4096u);
            // The workload's SIGUSR1 handler, as the task itself reports it.
            inj.checked("rt_sigaction", SYS_rt_sigaction, SIGUSR1, 0, scratch.addr(), 8);
            struct {
                uint64_t handler, flags, restorer, mask;
            } act{};
            scratch.read(0, std::as_writable_bytes(std::span(&act, 1)));
            EXPECT_NE(act.handler, 0u);
            EXPECT_TRUE(act.flags & SA_SIGINFO);
            EXPECT_TRUE(act.flags & SA_ONSTACK);
            scratch.put_string(0, "/");
            EXPECT_EQ(inj.syscall(SYS_access, scratch.addr(), F_OK), 0);
            scratch.release();
            inj.finish();
        }
        EXPECT_EQ(get_sigmask(pid), mask_before) << "injection must restore the blocked mask";
        auto regs_after = get_gp_registers(pid);
        EXPECT_EQ(regs_after.rsp, regs_before.rsp);
        EXPECT_EQ(regs_after.fs_base, regs_before.fs_base);
        proc.detach();
    }
    uint64_t c = progress->counter;
    EXPECT_TRUE(wait_until([&] { return progress->counter > c + 3; }));
    EXPECT_EQ(progress->pid_changed, 0);
    kill_and_reap(pid);
}

static std::string comm_of(pid_t pid) {
    auto c = read_proc_file(fmt::format("/proc/{}/comm", pid));
    return c.substr(0, c.find('\n'));
}

// The restorer page's `syscall; int3` (one stop per syscall) and the batch
// loop after it: results, the first checked failure stopping the batch with
// its name, unchecked failures passing, and the same through the one-by-one
// fallback. The task's registers and mask come back, and no SIGTRAP is left.
TEST(Inject, Int3StopsAndSyscallBatchesRunInsideTheTask) {
    ProgressFile progress;
    pid_t pid = start_counter_child(progress, 1);
    {
        SeizedProcess proc(pid, SeizeMode::checkpoint);
        uint64_t mask_before = get_sigmask(pid);
        auto regs_before = get_gp_registers(pid);
        std::string comm_before = comm_of(pid);
        {
            Injector inj(pid);
            auto current = read_vmas(pid);
            RestorerArea area = install_restorer(inj, find_free_range({&current}, kPageSize + kRestorerScratchSize));
            for (bool int3 : {true, false}) {
                SCOPED_TRACE(int3 ? "int3 stops" : "one by one");
                inj.set_syscall_insn(area.base, int3);
                EXPECT_EQ(inj.syscall(SYS_getpid), pid);
                EXPECT_EQ(inj.syscall(SYS_close, 12345), -EBADF);

                SyscallBatch batch(area.batch_loop, area.scratch, area.scratch_size);
                batch.add("getpid", SYS_getpid);
                batch.add_unchecked(SYS_close, 12345);
                batch.add("naming it before", SYS_prctl, PR_SET_NAME, batch.put_string("before"));
                batch.run(inj);
                EXPECT_EQ(comm_of(pid), "before");
                EXPECT_EQ(batch.size(), 0u) << "a batch is empty after it ran";

                batch.add("naming it first", SYS_prctl, PR_SET_NAME, batch.put_string("first"));
                batch.add("closing fd 54321", SYS_close, 54321);
                batch.add("naming it after", SYS_prctl, PR_SET_NAME, batch.put_string("after"));
                try {
                    batch.run(inj);
                    ADD_FAILURE() << "a failing checked syscall must fail the batch";
                } catch (const myrt::SystemError& e) {
                    EXPECT_EQ(e.code(), EBADF);
                    EXPECT_NE(std::string(e.what()).find("closing fd 54321"), std::string::npos) << e.what();
                }
                EXPECT_EQ(comm_of(pid), "first") << "the batch must stop at the failure";
                EXPECT_EQ(batch.size(), 0u);

                // Longer than the table in the task: runs in chunks, and a
                // failure in a later chunk names its own entry.
                for (int i = 0; i < 549; ++i) batch.add(fmt::format("getpid {}", i), SYS_getpid);
                batch.add("naming it late", SYS_prctl, PR_SET_NAME, batch.put_string("late"));
                batch.add("closing fd 54322", SYS_close, 54322);
                for (int i = 0; i < 100; ++i) batch.add("naming it too late", SYS_prctl, PR_SET_NAME, batch.put_string("too late"));
                try {
                    batch.run(inj);
                    ADD_FAILURE() << "a failure in a later chunk must fail the batch";
                } catch (const myrt::SystemError& e) {
                    EXPECT_EQ(e.code(), EBADF);
                    EXPECT_NE(std::string(e.what()).find("closing fd 54322"), std::string::npos) << e.what();
                }
                EXPECT_EQ(comm_of(pid), "late") << "a chunked batch runs every chunk up to the failure";
            }
            EXPECT_THROW(inj.run_code(area.batch_loop, area.batch_loop + 1, area.scratch, "code"), myrt::Error)
                << "running code needs int3 stops";
            SyscallBatch batch(area.batch_loop, area.scratch, area.scratch_size);
            batch.add("restoring the name", SYS_prctl, PR_SET_NAME, batch.put_string(comm_before));
            batch.run(inj);
            inj.checked("unmapping the restorer area", SYS_munmap, area.base, area.size());
            inj.finish();
        }
        EXPECT_EQ(get_sigmask(pid), mask_before) << "injection must restore the blocked mask";
        auto regs_after = get_gp_registers(pid);
        EXPECT_EQ(regs_after.rsp, regs_before.rsp);
        auto st = read_status(fmt::format("/proc/{}/status", pid));
        for (const char* key : {"SigPnd", "ShdPnd"})
            EXPECT_EQ(status_numbers(st, key, 16).at(0) & (1 << (SIGTRAP - 1)), 0) << key << ": an int3's SIGTRAP was left";
        EXPECT_EQ(comm_of(pid), comm_before);
        proc.detach();
    }
    uint64_t c = progress->counter;
    EXPECT_TRUE(wait_until([&] { return progress->counter > c + 3; }));
    kill_and_reap(pid);
}

// A task blocked in read(): after injection the read must restart, not
// return the kernel-internal -ERESTARTSYS to the program.
TEST(Inject, InterruptedSyscallRestartsAfterInjection) {
    int in[2], out[2];
    ASSERT_EQ(::pipe(in), 0);
    ASSERT_EQ(::pipe(out), 0);
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        char c = 0;
        long n = ::syscall(SYS_read, in[0], &c, 1);
        long report = n == 1 ? c : n;
        (void)!::write(out[1], &report, sizeof report);
        ::_exit(0);
    }
    ASSERT_TRUE(wait_until([&] { return task_state_letter(pid) == 'S'; }));
    std::this_thread::sleep_for(20ms);
    {
        SeizedProcess proc(pid, SeizeMode::checkpoint);
        auto regs = get_gp_registers(pid);
        EXPECT_EQ(static_cast<long>(regs.orig_rax), SYS_read);
        EXPECT_EQ(inject_syscall(pid, SYS_getpid), pid);
        proc.detach();
    }
    char x = 'x';
    ASSERT_EQ(::write(in[1], &x, 1), 1);
    long report = 0;
    ASSERT_EQ(::read(out[0], &report, sizeof report), static_cast<ssize_t>(sizeof report));
    EXPECT_EQ(report, 'x');
    ::waitpid(pid, nullptr, 0);
    for (int fd : {in[0], in[1], out[0], out[1]}) ::close(fd);
}

TEST(ThreadInfo, PendingSignalsAreReadWithoutDequeuing) {
    ProgressFile progress;
    pid_t pid = start_counter_child(progress, 1);
    {
        SeizedProcess proc(pid, SeizeMode::checkpoint);
        auto shared = peek_pending_signals(pid, true);
        auto own = peek_pending_signals(pid, false);
        ASSERT_EQ(shared.size(), 1u);
        EXPECT_EQ(shared[0].si_signo, SIGUSR2);
        EXPECT_EQ(shared[0].si_value.sival_int, 4242);
        ASSERT_EQ(own.size(), 1u);
        EXPECT_EQ(own[0].si_signo, SIGRTMIN + 3);
        EXPECT_EQ(own[0].si_value.sival_int, 77);
        EXPECT_TRUE(get_sigmask(pid) & (1ull << (SIGUSR2 - 1)));
        EXPECT_NE(get_rseq_config(pid).abi_pointer, 0u) << "glibc registers rseq";
        EXPECT_NE(get_robust_list(pid).head, 0u);
        EXPECT_EQ(peek_pending_signals(pid, true).size(), 1u);
        proc.detach();
    }
    kill_and_reap(pid);
}
