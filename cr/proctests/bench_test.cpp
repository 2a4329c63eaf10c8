// Figures, not pass/fail timing: memory dump throughput for a 256 MiB
// process against a plain process_vm_readv loop over the same VMAs, and the
// restore time of that process.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstring>

#include "cr/memory/dump_memory.hpp"
#include "cr/memory/pagemap.hpp"
#include "cr/task/dump_task.hpp"
#include "cr/task/restore_task.hpp"
#include "cr/task/spawn.hpp"
#include "support.hpp"

using namespace myrt::cr;
using namespace myrt::cr::test;

namespace {
double seconds_since(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}
}  // namespace

TEST(Bench, DumpAndRestore256MiB) {
    const int mib = 256;
    PidNamespace ns;
    ProgressFile progress;
    pid_t pid = start_counter(ns, 500, progress, mib);
    SeizedProcess proc(pid, SeizeMode::checkpoint);
    auto state = dump_process_state(proc);

    // Floor: one process_vm_readv per VMA in 16 MiB pieces, no pagemap, data
    // discarded. Floor and dump alternate three times (the machine is shared;
    // medians are reported).
    std::vector<std::byte> buf(16u << 20);
    uint64_t floor_bytes = 0, dumped = 0;
    std::vector<double> floor_runs, dump_runs;
    MemoryDumpStats stats;
    for (int round = 0; round < 3; ++round) {
        floor_bytes = 0;
        auto t0 = std::chrono::steady_clock::now();
        for (const auto& v : state.vmas) {
            if (!vma_may_need_contents(v) || !(v.rec.prot & PROT_READ)) continue;
            for (uint64_t a = v.rec.start; a < v.rec.end; a += buf.size()) {
                size_t len = std::min<uint64_t>(buf.size(), v.rec.end - a);
                iovec l{buf.data(), len}, r{reinterpret_cast<void*>(a), len};
                ssize_t n = ::process_vm_readv(pid, &l, 1, &r, 1, 0);
                if (n > 0) floor_bytes += static_cast<uint64_t>(n);
            }
        }
        floor_runs.push_back(seconds_since(t0));
        dumped = 0;
        t0 = std::chrono::steady_clock::now();
        stats = dump_memory(pid, state.vmas, [&](const Vma&, uint64_t, std::span<const std::byte> d) { dumped += d.size(); });
        dump_runs.push_back(seconds_since(t0));
    }
    std::sort(floor_runs.begin(), floor_runs.end());
    std::sort(dump_runs.begin(), dump_runs.end());
    double floor_s = floor_runs[1], dump_s = dump_runs[1];

    MemoryContents memory;
    auto t0 = std::chrono::steady_clock::now();
    dump_memory(pid, state.vmas, memory.sink());
    double dump_store_s = seconds_since(t0);
    ASSERT_GE(dumped, uint64_t(mib) << 20);

    proc.kill_and_reap();

    t0 = std::chrono::steady_clock::now();
    pid_t placeholder = spawn_restore_placeholder(ns.fd(), 500);
    SeizedProcess fresh(placeholder, SeizeMode::restore);
    auto timings = restore_process(fresh, state, memory);
    fresh.detach();
    double restore_s = seconds_since(t0);
    ASSERT_TRUE(wait_until([&] { return progress->counter > 10; }));
    ASSERT_TRUE(run_command(progress, CMD_CHECK_MEMORY));
    EXPECT_EQ(progress->memory_ok, 1u);

    // Restore floor: the fastest 4 KiB-page fill of the same bytes locally
    // (MADV_POPULATE_WRITE, then copy), measured now on the same machine.
    double fill_floor_s = 0;
    {
        size_t total = static_cast<size_t>(memory.bytes());
        void* m = ::mmap(nullptr, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        ASSERT_NE(m, MAP_FAILED);
        auto t1 = std::chrono::steady_clock::now();
        ::madvise(m, total, 23 /* MADV_POPULATE_WRITE */);
        size_t off = 0;
        for (const auto& c : memory.chunks) {
            std::memcpy(static_cast<std::byte*>(m) + off, c.data.data(), c.data.size());
            off += c.data.size();
        }
        fill_floor_s = seconds_since(t1);
        ::munmap(m, total);
    }
    double mb = 1024.0 * 1024.0;
    std::printf("[ bench ] dump_memory (pagemap + batched process_vm_readv, discard), median of 3: %.0f MiB in %.3f s = %.0f MiB/s, %llu readv calls\n",
                dumped / mb, dump_s, dumped / mb / dump_s, static_cast<unsigned long long>(stats.readv_calls));
    std::printf("[ bench ] dump_memory into memory (copy kept):               %.3f s = %.0f MiB/s\n", dump_store_s,
                dumped / mb / dump_store_s);
    std::printf("[ bench ] floor: plain process_vm_readv loop, median of 3:       %.0f MiB in %.3f s = %.0f MiB/s\n",
                floor_bytes / mb, floor_s, floor_bytes / mb / floor_s);
    std::printf("[ bench ] restore (placeholder + rebuild): %.3f s; in restore_process %.1f ms, address space %.1f ms, fill %.1f ms (%.0f MiB/s)\n",
                restore_s, timings.total_ms, timings.address_space_ms, timings.fill_ms,
                timings.bytes / mb / (timings.fill_ms / 1000.0));
    std::printf("[ bench ] restore floor: local MADV_POPULATE_WRITE + memcpy of the same bytes: %.3f s\n", fill_floor_s);
    kill_and_reap(placeholder);
}
