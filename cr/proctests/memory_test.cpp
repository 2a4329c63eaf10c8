// VMAs from smaps, present pages from pagemap, streamed contents.
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>

#include "cr/memory/dump_memory.hpp"
#include "cr/memory/pagemap.hpp"
#include "cr/memory/uffd_fill.hpp"
#include "cr/memory/vma.hpp"
#include "cr/ptrace/seize.hpp"
#include "support.hpp"

using namespace myrt::cr;
using namespace myrt::cr::test;

TEST(Smaps, ParsesHeaderFlagsAndSpecialMappings) {
    std::string text =
        "55d0c0a00000-55d0c0a21000 rw-p 00000000 00:00 0                          [heap]\n"
        "Size:                132 kB\n"
        "Anonymous:             8 kB\n"
        "VmFlags: rd wr mr mw me ac sd \n"
        "7f0000000000-7f0000002000 r-xp 00001000 fe:00 332383                     /usr/lib/x y.so (deleted)\n"
        "VmFlags: rd ex mr mw me dd nh \n"
        "7ffbacb95000-7ffbacb99000 r--p 00000000 00:00 0                          [vvar]\n"
        "7ffbacb99000-7ffbacb9b000 r--p 00000000 00:00 0                          [vvar_vclock]\n"
        "7ffbacb9b000-7ffbacb9d000 r-xp 00000000 00:00 0                          [vdso]\n"
        "7ffc37840000-7ffc37861000 rw-p 00000000 00:00 0                          [stack]\n"
        "VmFlags: rd wr mr mw me gd ac \n"
        "7f1000000000-7f1000001000 rw-s 00000000 00:01 1234                       /dev/zero (deleted)\n";
    auto v = parse_smaps(text);
    ASSERT_EQ(v.size(), 7u);
    EXPECT_EQ(v[0].rec.kind, VmaKind::heap);
    EXPECT_EQ(v[0].rec.prot, unsigned(PROT_READ | PROT_WRITE));
    EXPECT_TRUE(v[0].rec.vm_flags & vm_account);
    EXPECT_EQ(v[1].rec.kind, VmaKind::file);
    EXPECT_EQ(v[1].path, "/usr/lib/x y.so");
    EXPECT_EQ(v[1].rec.deleted, 1u);
    EXPECT_EQ(v[1].rec.pgoff, 0x1000u);
    EXPECT_EQ(v[1].rec.dev_major, 0xfeu);
    EXPECT_TRUE(v[1].rec.vm_flags & vm_dontdump);
    EXPECT_TRUE(v[1].rec.vm_flags & vm_nohugepage);
    EXPECT_EQ(v[2].rec.kind, VmaKind::vvar);
    EXPECT_EQ(v[3].rec.kind, VmaKind::vvar_vclock);
    EXPECT_EQ(v[4].rec.kind, VmaKind::vdso);
    EXPECT_EQ(v[5].rec.kind, VmaKind::stack);
    EXPECT_TRUE(v[5].rec.vm_flags & vm_growsdown);
    EXPECT_EQ(v[6].rec.kind, VmaKind::anonymous);
    EXPECT_EQ(v[6].rec.shared, 1u);
}

TEST(Pagemap, OnlyTouchedPagesAreDumpable) {
    const size_t pages = 64;
    void* m = ::mmap(nullptr, pages * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ASSERT_NE(m, MAP_FAILED);
    auto* p = static_cast<char*>(m);
    for (size_t i : {0, 1, 2, 10, 40, 41, 63}) p[i * 4096] = 1;
    auto vmas = read_vmas(::getpid());
    auto it = std::find_if(vmas.begin(), vmas.end(), [&](auto& v) { return v.rec.start <= uint64_t(p) && uint64_t(p) < v.rec.end; });
    ASSERT_NE(it, vmas.end());
    Vma only = *it;
    only.rec.start = uint64_t(p);
    only.rec.end = uint64_t(p) + pages * 4096;
    Pagemap pm(::getpid());
    auto runs = pm.dumpable_runs(only);
    ASSERT_EQ(runs.size(), 4u);
    EXPECT_EQ(runs[0].start, uint64_t(p));
    EXPECT_EQ(runs[0].npages, 3u);
    EXPECT_EQ(runs[1].npages, 1u);
    EXPECT_EQ(runs[2].start, uint64_t(p) + 40 * 4096);
    EXPECT_EQ(runs[2].npages, 2u);
    EXPECT_EQ(runs[3].npages, 1u);
    ::munmap(m, pages * 4096);
}

TEST(Pagemap, SharedFileMappingsAndVdsoNeedNoContents) {
    Vma shared_file;
    shared_file.rec.kind = VmaKind::file;
    shared_file.rec.shared = 1;
    EXPECT_FALSE(vma_may_need_contents(shared_file));
    Vma vdso;
    vdso.rec.kind = VmaKind::vdso;
    EXPECT_FALSE(vma_may_need_contents(vdso));
    Vma private_file;
    private_file.rec.kind = VmaKind::file;
    EXPECT_TRUE(vma_may_need_contents(private_file));
}

TEST(DumpMemory, StreamsThePatternInBoundedChunks) {
    ProgressFile progress;
    pid_t pid = start_counter_child(progress, 8);
    {
        SeizedProcess proc(pid, SeizeMode::checkpoint);
        auto vmas = read_vmas(pid);
        size_t largest = 0;
        uint64_t bytes = 0;
        // The 8 MiB pattern VMA: find it and check its words as they stream by.
        const Vma* big = nullptr;
        for (auto& v : vmas)
            if (v.rec.kind == VmaKind::anonymous && v.size() >= (8u << 20) && !big) big = &v;
        ASSERT_NE(big, nullptr);
        uint64_t checked = 0, wrong = 0;
        bool saw_vdso = false;
        auto stats = dump_memory(pid, vmas, [&](const Vma& v, uint64_t addr, std::span<const std::byte> data) {
            largest = std::max(largest, data.size());
            bytes += data.size();
            if (v.rec.kind == VmaKind::vdso || v.rec.kind == VmaKind::vvar) saw_vdso = true;
            if (&v != big) return;
            for (size_t off = 0; off < data.size(); off += 8) {
                uint64_t i = (addr + off - big->rec.start) / 8, w;
                std::memcpy(&w, data.data() + off, 8);
                if (w != ((i * 0x9e3779b97f4a7c15ull) ^ 0x5a5a5a5a12345678ull)) ++wrong;
                ++checked;
            }
        }, 1u << 20);
        EXPECT_FALSE(saw_vdso);
        EXPECT_LE(largest, 1u << 20) << "chunks must respect the buffer bound";
        EXPECT_EQ(checked, (8u << 20) / 8);
        EXPECT_EQ(wrong, 0u);
        EXPECT_EQ(bytes, stats.pages * 4096);
        EXPECT_GE(stats.readv_calls, 8u);
        proc.detach();
    }
    kill_and_reap(pid);
}

TEST(UffdFill, CopiesOnlyMemoryThatWouldHave4KiBPages) {
    using myrt::cr::ThpMode;
    auto vma = [](uint64_t start, uint64_t end, VmaKind kind, uint64_t flags = 0, bool shared = false) {
        Vma v;
        v.rec.start = start;
        v.rec.end = end;
        v.rec.kind = kind;
        v.rec.vm_flags = flags;
        v.rec.shared = shared;
        return v;
    };
    const uint64_t mib = 1ull << 20;
    auto big = vma(0x7f0000100000, 0x7f0000100000 + 16 * mib, VmaKind::anonymous);  // holds 2 MiB blocks
    auto small = vma(0x7f0000100000, 0x7f0000100000 + 2 * mib, VmaKind::anonymous);  // 2 MiB, not aligned: no block
    for (auto mode : {ThpMode::madvise, ThpMode::never}) {
        EXPECT_TRUE(fills_by_copy(big, mode));
        EXPECT_TRUE(fills_by_copy(vma(0x1000, 0x21000, VmaKind::heap), mode));
        EXPECT_TRUE(fills_by_copy(vma(0x7ffd0000, 0x7ffe0000, VmaKind::stack, vm_growsdown), mode));
    }
    EXPECT_FALSE(fills_by_copy(vma(0, 16 * mib, VmaKind::anonymous, vm_hugepage), ThpMode::madvise));
    EXPECT_TRUE(fills_by_copy(vma(0, 16 * mib, VmaKind::anonymous, vm_hugepage), ThpMode::never));
    // THP "always": large unadvised memory had huge pages, small or refused memory did not.
    EXPECT_FALSE(fills_by_copy(big, ThpMode::always));
    EXPECT_TRUE(fills_by_copy(small, ThpMode::always));
    EXPECT_TRUE(fills_by_copy(vma(0, 16 * mib, VmaKind::anonymous, vm_nohugepage), ThpMode::always));
    // Never: shared, file-backed, hugetlb.
    EXPECT_FALSE(fills_by_copy(vma(0, 16 * mib, VmaKind::anonymous, 0, true), ThpMode::madvise));
    EXPECT_FALSE(fills_by_copy(vma(0, 16 * mib, VmaKind::file), ThpMode::madvise));
    EXPECT_FALSE(fills_by_copy(vma(0, 16 * mib, VmaKind::anonymous, vm_hugetlb), ThpMode::never));
}
