// End to end: dump a process in a pid namespace, kill it, recreate it with
// the same pid and let it continue where it was.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <cstddef>
#include <fstream>

#include <thread>

#include "cr/memory/dump_memory.hpp"
#include "cr/memory/restore_memory.hpp"
#include "cr/ptrace/proc_scan.hpp"
#include "cr/ptrace/thread_info.hpp"
#include "cr/task/dump_task.hpp"
#include "cr/task/proc_status.hpp"
#include "cr/task/restore_task.hpp"
#include "cr/task/spawn.hpp"
#include "cr/task/tree.hpp"
#include "file_pages.hpp"
#include "support.hpp"
#include "util/error.hpp"

using namespace myrt::cr;
using namespace myrt::cr::test;
using namespace std::chrono_literals;

namespace {

struct Dumped {
    ProcessState state;
    MemoryContents memory;
    uint64_t counter = 0;
    uint64_t thread_counter[16] = {};
};

Dumped dump_and_kill(pid_t pid, ProgressFile& progress) {
    Dumped d;
    SeizedProcess proc(pid, SeizeMode::checkpoint);
    d.state = dump_process_state(proc);
    dump_memory(proc.live_tid(), d.state.vmas, d.memory.sink());
    d.counter = progress->counter;
    for (int i = 0; i < 16; ++i) d.thread_counter[i] = progress->thread_counter[i];
    proc.kill_and_reap();
    return d;
}

pid_t restore(PidNamespace& ns, const Dumped& d, RestoreTimings* timings = nullptr) {
    const auto& ids = d.state.core.ids;
    pid_t placeholder = spawn_restore_placeholder(ns.fd(), ids.ns_pid[ids.ns_depth - 1]);
    SeizedProcess fresh(placeholder, SeizeMode::restore);
    try {
        auto t = restore_process(fresh, d.state, d.memory);
        if (timings) *timings = t;
    } catch (...) {
        fresh.kill_and_reap();
        throw;
    }
    fresh.detach();
    return placeholder;
}

uint64_t status_mask(pid_t pid, const char* key) {
    return static_cast<uint64_t>(status_numbers(read_status(fmt::format("/proc/{}/status", pid)), key, 16).at(0));
}

}  // namespace

TEST(Restore, SingleProcessContinuesWithSamePidMemoryAndSignals) {
    PidNamespace ns;
    ProgressFile progress;
    pid_t pid = start_counter(ns, 100, progress, 16);
    Dumped d = dump_and_kill(pid, progress);
    ASSERT_GT(d.counter, 0u);
    progress->counter = 0;  // a restart from scratch would count up from 1 again

    RestoreTimings t;
    pid_t restored = restore(ns, d, &t);
    ASSERT_TRUE(wait_until([&] { return progress->counter > d.counter + 20; }))
        << "counter stuck at " << progress->counter << ", dumped " << d.counter << ", state "
        << task_state_letter(restored);
    EXPECT_LT(progress->counter, d.counter + 100000) << "the counter must resume from the dumped value";

    auto st = read_status(fmt::format("/proc/{}/status", restored));
    EXPECT_EQ(status_numbers(st, "NSpid").back(), 100);
    EXPECT_EQ(progress->pid_changed, 0);
    EXPECT_EQ(progress->tid_changed, 0);
    EXPECT_EQ(progress->clock_ok, 1) << "the vDSO clock must keep working at its dumped address";
    EXPECT_EQ(progress->fpu_ok, 1) << "the FPU control state must come back with the XSAVE area";
    EXPECT_TRUE(status_mask(restored, "SigBlk") & (1ull << (SIGUSR2 - 1)));
    EXPECT_TRUE(status_mask(restored, "ShdPnd") & (1ull << (SIGUSR2 - 1)));
    EXPECT_TRUE(status_mask(restored, "SigPnd") & (1ull << (SIGRTMIN + 3 - 1)));
    EXPECT_EQ(read_link(fmt::format("/proc/{}/exe", restored)), CR_PROC_COUNTER);

    ASSERT_TRUE(run_command(progress, CMD_CHECK_MEMORY));
    EXPECT_EQ(progress->memory_ok, 1u) << std::hex << "bad word at " << progress->memory_bad_at;

    ASSERT_EQ(::kill(restored, SIGUSR1), 0);
    EXPECT_TRUE(wait_until([&] { return progress->usr1_count == 1; }));
    EXPECT_EQ(progress->on_altstack, 1) << "the handler must run on the restored sigaltstack";

    ASSERT_TRUE(run_command(progress, CMD_UNBLOCK));
    EXPECT_TRUE(wait_until([&] { return progress->usr2_count == 1 && progress->rt_count == 1; }));
    EXPECT_EQ(progress->usr2_value, 4242);
    EXPECT_EQ(progress->rt_value, 77);

    {
        // rseq, robust list and TLS exactly as dumped.
        SeizedProcess again(restored, SeizeMode::checkpoint);
        auto rseq = get_rseq_config(restored);
        EXPECT_EQ(rseq.abi_pointer, d.state.threads[0].core.rseq_abi_pointer);
        EXPECT_EQ(rseq.signature, d.state.threads[0].core.rseq_signature);
        EXPECT_EQ(get_robust_list(restored).head, d.state.threads[0].core.robust_list_head);
        again.detach();
    }
    uint64_t c = progress->counter;
    EXPECT_TRUE(wait_until([&] { return progress->counter > c + 5; }));
    std::printf("[ restore ] 16 MiB process: %.1f ms total, address space %.1f ms, fill %.1f ms (%llu bytes)\n",
                t.total_ms, t.address_space_ms, t.fill_ms, static_cast<unsigned long long>(t.bytes));
    kill_and_reap(restored);
}

TEST(Restore, RestoredProcessCanBeDumpedAndRestoredAgain) {
    PidNamespace ns;
    ProgressFile progress;
    pid_t pid = start_counter(ns, 200, progress, 2);
    Dumped d1 = dump_and_kill(pid, progress);
    pid_t r1 = restore(ns, d1);
    ASSERT_TRUE(wait_until([&] { return progress->counter > d1.counter + 10; }));
    Dumped d2 = dump_and_kill(r1, progress);
    EXPECT_EQ(d2.state.vmas.size(), d1.state.vmas.size()) << "the layout must not drift between cycles";
    pid_t r2 = restore(ns, d2);
    ASSERT_TRUE(wait_until([&] { return progress->counter > d2.counter + 10; }));
    ASSERT_TRUE(run_command(progress, CMD_CHECK_MEMORY));
    EXPECT_EQ(progress->memory_ok, 1u);
    kill_and_reap(r2);
}

TEST(Restore, MultiThreadedProcessKeepsTidsAndTls) {
    PidNamespace ns;
    ProgressFile progress;
    const int threads = 3;
    pid_t pid = start_counter(ns, 300, progress, 2, threads);
    int32_t tids[threads];
    for (int i = 0; i < threads; ++i) tids[i] = progress->thread_tid[i];
    Dumped d = dump_and_kill(pid, progress);
    ASSERT_EQ(d.state.threads.size(), size_t(threads + 1));
    pid_t restored = restore(ns, d);
    EXPECT_EQ(list_threads(restored).size(), size_t(threads + 1));
    for (int i = 0; i < threads; ++i) {
        EXPECT_TRUE(wait_until([&] { return progress->thread_counter[i] > d.thread_counter[i] + 10; })) << "thread " << i;
        EXPECT_LT(progress->thread_counter[i], d.thread_counter[i] + 100000);
        EXPECT_EQ(progress->thread_tls_ok[i], 1) << "thread " << i;
        EXPECT_EQ(progress->thread_tid[i], tids[i]);
    }
    EXPECT_EQ(progress->tid_changed, 0);
    ASSERT_TRUE(wait_until([&] { return progress->counter > d.counter + 10; }));
    ASSERT_TRUE(run_command(progress, CMD_CHECK_MEMORY));
    EXPECT_EQ(progress->memory_ok, 1u);
    kill_and_reap(restored);
}

TEST(Restore, PlaceholderWithTakenPidIsRefused) {
    PidNamespace ns;
    ProgressFile progress;
    pid_t pid = start_counter(ns, 400, progress, 1);
    EXPECT_THROW(spawn_restore_placeholder(ns.fd(), 400), myrt::SystemError);
    kill_and_reap(pid);
}

TEST(Restore, CredsSeccompLimitsUmaskAndCwdComeBack) {
    PidNamespace ns;
    ProgressFile progress;
    pid_t pid = start_counter(ns, 600, progress, 1, 1, "secure");
    ASSERT_TRUE(run_command(progress, CMD_CHECK_SECCOMP));
    ASSERT_EQ(progress->seccomp_errno, 43) << "the workload's own filters";
    progress->seccomp_errno = 0;
    Dumped d = dump_and_kill(pid, progress);
    ASSERT_EQ(d.state.seccomp.size(), 2u);
    pid_t restored = restore(ns, d);
    ASSERT_TRUE(wait_until([&] { return progress->counter > d.counter + 10; }));
    for (pid_t tid : list_threads(restored)) {
        auto st = read_status(fmt::format("/proc/{}/task/{}/status", restored, tid));
        EXPECT_EQ(status_numbers(st, "NoNewPrivs").at(0), 1) << tid;
        EXPECT_EQ(status_numbers(st, "Seccomp").at(0), 2) << tid;
        EXPECT_EQ(status_numbers(st, "Seccomp_filters").at(0), 2) << tid;
        uint64_t bnd = static_cast<uint64_t>(status_numbers(st, "CapBnd", 16).at(0));
        EXPECT_EQ(bnd, d.state.core.creds.cap_bounding) << tid;
        EXPECT_FALSE(bnd & (1ull << 22)) << "CAP_SYS_BOOT was dropped before the dump";
        EXPECT_EQ(status_numbers(st, "Umask", 8).at(0), 027);
    }
    auto limits = parse_limits(read_proc_file(fmt::format("/proc/{}/limits", restored)));
    EXPECT_EQ(limits[RLIMIT_NOFILE].cur, 512u);
    EXPECT_EQ(read_link(fmt::format("/proc/{}/cwd", restored)), "/tmp");
    ASSERT_TRUE(run_command(progress, CMD_CHECK_SECCOMP));
    EXPECT_EQ(progress->seccomp_errno, 43) << "filters must be re-installed oldest first";
    ASSERT_TRUE(run_command(progress, CMD_CHECK_MEMORY));
    EXPECT_EQ(progress->memory_ok, 1u);
    kill_and_reap(restored);
}

TEST(Restore, TreeKeepsParentChildAndSession) {
    PidNamespace ns;
    ProgressFile progress;
    pid_t pid = start_counter(ns, 700, progress, 1, 0, "tree");
    int32_t child_ns_pid = progress->child_pid;
    ASSERT_GT(child_ns_pid, 1);
    ASSERT_NE(child_ns_pid, 700);
    std::vector<ProcessImage> images;
    uint64_t counter = 0, child_counter = 0;
    {
        SeizedTree tree(pid, SeizeMode::checkpoint);
        ASSERT_EQ(tree.processes().size(), 2u);
        images = dump_tree(tree);
        counter = progress->counter;
        child_counter = progress->child_counter;
        for (auto it = tree.processes().rbegin(); it != tree.processes().rend(); ++it) it->kill_and_reap();
    }
    ASSERT_EQ(images[1].state.core.ids.ns_sid, child_ns_pid);
    // The killed child is reaped by the namespace's init once its parent is gone.
    ASSERT_TRUE(wait_until([&] { return task_state_letter(images[1].state.core.ids.pid) == 0; }));
    pid_t placeholder = spawn_restore_placeholder(ns.fd(), 700);
    auto procs = restore_tree(SeizedProcess(placeholder, SeizeMode::restore), images);
    ASSERT_EQ(procs.size(), 2u);
    pid_t child = procs[1].pid();
    for (auto& p : procs) p.detach();
    EXPECT_TRUE(wait_until([&] { return progress->counter > counter + 10 && progress->child_counter > child_counter + 10; }));
    EXPECT_LT(progress->child_counter, child_counter + 100000);
    EXPECT_EQ(progress->child_sid_ok, 1);
    EXPECT_EQ(progress->child_ppid_ok, 1);
    auto st = read_status(fmt::format("/proc/{}/status", child));
    EXPECT_EQ(status_numbers(st, "NSpid").back(), child_ns_pid);
    EXPECT_EQ(status_numbers(st, "NSsid").back(), child_ns_pid);
    EXPECT_EQ(status_numbers(st, "PPid").at(0), placeholder);
    ::kill(child, SIGKILL);
    kill_and_reap(placeholder);
}

TEST(Restore, DifferentVdsoIsRefusedAndLeavesNoProcess) {
    PidNamespace ns;
    ProgressFile progress;
    pid_t pid = start_counter(ns, 800, progress, 1);
    Dumped d = dump_and_kill(pid, progress);
    for (auto& v : d.state.vmas)
        if (v.rec.kind == VmaKind::vdso) v.rec.end += 4096;  // an image from a kernel with a bigger vDSO
    pid_t placeholder = spawn_restore_placeholder(ns.fd(), 800);
    SeizedProcess fresh(placeholder, SeizeMode::restore);
    try {
        restore_process(fresh, d.state, d.memory);
        FAIL() << "restore accepted a vDSO of another size";
    } catch (const myrt::Error& e) {
        EXPECT_NE(std::string(e.what()).find("vDSO differs"), std::string::npos) << e.what();
    }
    fresh.kill_and_reap();
    EXPECT_EQ(task_state_letter(placeholder), 0) << "a failed restore must leave no process behind";
}

TEST(Restore, PagesStreamFromAFileInBoundedReads) {
    PidNamespace ns;
    ProgressFile progress;
    pid_t pid = start_counter(ns, 900, progress, 32);
    FilePages pages;
    ProcessState state;
    uint64_t counter = 0;
    {
        SeizedProcess proc(pid, SeizeMode::checkpoint);
        state = dump_process_state(proc);
        dump_memory(pid, state.vmas, pages.sink());
        counter = progress->counter;
        proc.kill_and_reap();
    }
    ASSERT_GE(pages.bytes(), 32u << 20);
    pid_t placeholder = spawn_restore_placeholder(ns.fd(), 900);
    SeizedProcess fresh(placeholder, SeizeMode::restore);
    restore_process(fresh, state, pages);
    fresh.detach();
    EXPECT_LE(pages.largest_read(), 4u << 20) << "the restore must not need the image in memory";
    ASSERT_TRUE(wait_until([&] { return progress->counter > counter + 10; }));
    ASSERT_TRUE(run_command(progress, CMD_CHECK_MEMORY));
    EXPECT_EQ(progress->memory_ok, 1u);
    kill_and_reap(placeholder);
}

TEST(Restore, StoppedProcessComesBackStopped) {
    PidNamespace ns;
    ProgressFile progress;
    pid_t pid = start_counter(ns, 1000, progress, 1);
    ASSERT_EQ(::kill(pid, SIGSTOP), 0);
    ASSERT_TRUE(wait_until([&] { return task_state_letter(pid) == 'T'; }));
    Dumped d = dump_and_kill(pid, progress);
    EXPECT_EQ(d.state.core.stopped, 1u);
    pid_t restored = restore(ns, d);
    ASSERT_TRUE(wait_until([&] { return task_state_letter(restored) == 'T'; }));
    uint64_t c = progress->counter;
    std::this_thread::sleep_for(50ms);
    EXPECT_EQ(progress->counter, c) << "a stopped process must not run after restore";
    ASSERT_EQ(::kill(restored, SIGCONT), 0);
    EXPECT_TRUE(wait_until([&] { return progress->counter > c + 10; }));
    kill_and_reap(restored);
}

TEST(Seize, ZombieIsRefusedWithAClearError) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) ::_exit(0);
    ASSERT_TRUE(wait_until([&] { return task_state_letter(pid) == 'Z'; }));
    try {
        SeizedProcess proc(pid, SeizeMode::checkpoint);
        FAIL() << "a zombie was seized";
    } catch (const myrt::Error& e) {
        EXPECT_NE(std::string(e.what()).find("zombie"), std::string::npos) << e.what();
    }
    ::waitpid(pid, nullptr, 0);
}

TEST(Restore, LayoutMatchesTheDumpedOne) {
    PidNamespace ns;
    ProgressFile progress;
    pid_t pid = start_counter(ns, 1100, progress, 4);
    Dumped d = dump_and_kill(pid, progress);
    pid_t restored = restore(ns, d);
    ASSERT_TRUE(wait_until([&] { return progress->counter > d.counter + 5; }));
    std::vector<Vma> now;
    {
        SeizedProcess again(restored, SeizeMode::checkpoint);
        now = read_vmas(restored);
        again.detach();
    }
    auto describe = [](const Vma& v) {
        // Flags a restore sets on purpose; "sd" (soft-dirty) is not compared.
        uint64_t mask = vm_read | vm_write | vm_exec | vm_shared | vm_maywrite | vm_growsdown | vm_locked |
                        vm_dontcopy | vm_dontdump | vm_hugepage | vm_nohugepage | vm_wipeonfork | vm_account;
        return fmt::format("{:x}-{:x} prot {} shared {} kind {} flags {:x} off {:x} {}", v.rec.start, v.rec.end, v.rec.prot,
                           v.rec.shared, static_cast<int>(v.rec.kind), v.rec.vm_flags & mask, v.is_file() ? v.rec.pgoff : 0,
                           v.path);
    };
    std::vector<std::string> want, got;
    for (auto& v : d.state.vmas) want.push_back(describe(v));
    for (auto& v : now) got.push_back(describe(v));
    EXPECT_EQ(got, want);
    ASSERT_TRUE(run_command(progress, CMD_CHECK_MEMORY));
    EXPECT_EQ(progress->memory_ok, 1u) << std::hex << progress->memory_bad_at;
    kill_and_reap(restored);
}

namespace {

// Hands the dumped contents over in 1000-byte pieces: a stream's chunks end
// wherever its read buffers do, not on page boundaries.
class OddSizedChunks final : public PageSource {
public:
    explicit OddSizedChunks(const MemoryContents& m) : inner_(m) {}
    bool has_contents(const Vma& v) const override { return inner_.has_contents(v); }
    void for_each_chunk(const std::function<void(uint64_t, std::span<const std::byte>)>& fn) override {
        inner_.for_each_chunk([&](uint64_t addr, std::span<const std::byte> data) {
            while (!data.empty()) {
                size_t n = std::min<size_t>(data.size(), 1000);
                fn(addr, data.first(n));
                addr += n;
                data = data.subspan(n);
            }
        });
    }

private:
    MemoryContentsSource inner_;
};

bool any_vma_registered_with_userfaultfd(pid_t pid) {
    std::ifstream smaps(fmt::format("/proc/{}/smaps", pid));
    for (std::string line; std::getline(smaps, line);)
        if (line.starts_with("VmFlags:") && (line + " ").find(" um ") != std::string::npos) return true;
    return false;
}

}  // namespace

TEST(Restore, AnonymousMemoryArrivesByUserfaultfdCopyFromOddSizedChunks) {
    PidNamespace ns;
    ProgressFile progress;
    pid_t pid = start_counter(ns, 1150, progress, 8);
    Dumped d = dump_and_kill(pid, progress);
    pid_t placeholder = spawn_restore_placeholder(ns.fd(), 1150);
    RestoreTimings t;
    {
        SeizedProcess fresh(placeholder, SeizeMode::restore);
        OddSizedChunks pages(d.memory);
        t = restore_process(fresh, d.state, pages);
        fresh.detach();
    }
    EXPECT_GE(t.copied_bytes, 8u << 20) << "the counter's 8 MiB of anonymous memory";
    EXPECT_LE(t.copied_bytes, t.bytes);
    EXPECT_FALSE(any_vma_registered_with_userfaultfd(placeholder)) << "every range is unregistered before the task runs";
    ASSERT_TRUE(wait_until([&] { return progress->counter > d.counter + 10; }));
    ASSERT_TRUE(run_command(progress, CMD_CHECK_MEMORY));
    EXPECT_EQ(progress->memory_ok, 1u) << std::hex << "bad word at " << progress->memory_bad_at;
    kill_and_reap(placeholder);
}

// myrt itself under a seccomp filter that refuses userfaultfd (as Docker's
// default profile does, when a runtime runs in a container): the placeholder
// inherits the filter, and the fill goes through process_vm_writev instead.
TEST(Restore, WithoutUserfaultfdTheFillFallsBackToProcessVmWritev) {
    PidNamespace ns;
    ProgressFile progress;
    pid_t pid = start_counter(ns, 1160, progress, 8);
    Dumped d = dump_and_kill(pid, progress);
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        sock_filter filter[] = {
            BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
            BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_userfaultfd, 0, 1),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        };
        sock_fprog prog{static_cast<unsigned short>(std::size(filter)), filter};
        if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || ::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) ::_exit(10);
        // The child checks everything itself: the restored process is its child.
        try {
            pid_t placeholder = spawn_restore_placeholder(ns.fd(), 1160);
            RestoreTimings t;
            {
                SeizedProcess fresh(placeholder, SeizeMode::restore);
                t = restore_process(fresh, d.state, d.memory);
                fresh.detach();
            }
            bool runs = wait_until([&] { return progress->counter > d.counter + 10; });
            bool memory_ok = run_command(progress, CMD_CHECK_MEMORY) && progress->memory_ok == 1u;
            kill_and_reap(placeholder);
            if (t.copied_bytes != 0) ::_exit(11);  // userfaultfd was used after all
            if (t.bytes < (8u << 20)) ::_exit(12);
            ::_exit(runs && memory_ok ? 0 : 13);
        } catch (const std::exception& e) {
            std::fprintf(stderr, "restore under the filter failed: %s\n", e.what());
            ::_exit(14);
        }
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status)) << "child status " << status;
    EXPECT_EQ(WEXITSTATUS(status), 0) << "10: no filter, 11: userfaultfd used, 12: too few bytes, 13: process broken, 14: restore failed";
}

// CRIU refuses this ("zombies with threads are not supported").
TEST(Restore, ZombieLeaderWithLiveThreads) {
    PidNamespace ns;
    ProgressFile progress;
    const int threads = 2;
    pid_t pid = start_counter(ns, 1200, progress, 2, threads, "zombie");
    ASSERT_TRUE(wait_until([&] { return task_state_letter(pid) == 'Z'; }));
    Dumped d = dump_and_kill(pid, progress);
    EXPECT_EQ(d.state.core.leader_exited, 1u);
    ASSERT_EQ(d.state.threads.size(), size_t(threads));
    pid_t restored = restore(ns, d);
    for (int i = 0; i < threads; ++i) {
        EXPECT_TRUE(wait_until([&] { return progress->thread_counter[i] > d.thread_counter[i] + 10; })) << "thread " << i;
        EXPECT_LT(progress->thread_counter[i], d.thread_counter[i] + 100000);
        EXPECT_EQ(progress->thread_tls_ok[i], 1);
    }
    EXPECT_EQ(progress->tid_changed, 0);
    EXPECT_TRUE(wait_until([&] { return task_state_letter(restored) == 'Z'; })) << "the leader must be a zombie again";
    EXPECT_EQ(list_threads(restored).size(), size_t(threads + 1));
    kill_and_reap(restored);
}
