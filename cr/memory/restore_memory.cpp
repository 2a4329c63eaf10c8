#include "cr/memory/restore_memory.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/shm.h>
#include <sys/syscall.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <map>

#include "cr/memory/pagemap.hpp"
#include "cr/memory/uffd_fill.hpp"
#include "cr/ptrace/inject.hpp"
#include "cr/ptrace/remote_memory.hpp"
#include "cr/ptrace/syscall_batch.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

namespace myrt::cr {
namespace {

constexpr uint64_t kUserTop = 0x7ffffffff000ull;
constexpr uint64_t kLowest = 0x10000ull;

bool is_vdso_group(const Vma& v) {
    return v.rec.kind == VmaKind::vdso || v.rec.kind == VmaKind::vvar || v.rec.kind == VmaKind::vvar_vclock;
}

// --- cr/ipc (begin) ---
// A SysV segment VMA: the segment (same shmid) was recreated with its
// contents by cr/ipc before the tasks; the task attaches it where it was,
// read-only if it could not write, and mprotect gives the exact protection.
void attach_sysv_segment(Injector& inj, const Vma& v) {
    const uint64_t shmid = v.rec.inode;
    const bool writable = v.rec.vm_flags & vm_maywrite;
    uint64_t flags = (writable ? 0 : SHM_RDONLY) | ((v.rec.prot & PROT_EXEC) ? SHM_EXEC : 0);
    long got = inj.checked(fmt::format("shmat of SysV segment {} at {:#x} in task {}", shmid, v.rec.start, inj.tid()),
                           SYS_shmat, shmid, v.rec.start, flags);
    if (static_cast<uint64_t>(got) != v.rec.start)
        fail("SysV segment {} attached at {:#x}, not {:#x}", shmid, static_cast<uint64_t>(got), v.rec.start);
    uint32_t as_attached = PROT_READ | (writable ? PROT_WRITE : 0) | (v.rec.prot & PROT_EXEC);
    if (as_attached != v.rec.prot)
        inj.checked(fmt::format("protection of SysV segment {} at {:#x}", shmid, v.rec.start), SYS_mprotect,
                    v.rec.start, v.size(), v.rec.prot);
}
// --- cr/ipc (end) ---

// --- objects (begin) ---
// A memfd mapping: cr/files (kind_memfd) gave the task its memfd back, with
// the contents, before the memory; the task maps it through its own fd
// (/proc/self/fd/N, opened with the mapping's access). The fds carrying the
// memfd's name must all be one memfd: a memfd mapped and closed, or two
// memfds of one name, cannot be told apart here.
std::string task_memfd_path(pid_t tid, const Vma& v) {
    std::string want = v.path + " (deleted)", dir = fmt::format("/proc/{}/fd", tid);
    std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(dir.c_str()), ::closedir);
    if (!d) throw_errno("reading the fds of task {}", tid);
    int found = -1;
    struct stat found_st {};
    while (dirent* e = ::readdir(d.get())) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
        std::string fd_path = dir + "/" + e->d_name;
        char link[512];
        ssize_t n = ::readlink(fd_path.c_str(), link, sizeof link);
        struct stat st {};
        if (n <= 0 || std::string_view(link, static_cast<size_t>(n)) != want || ::stat(fd_path.c_str(), &st) < 0) continue;
        if (found >= 0 && (st.st_ino != found_st.st_ino || st.st_dev != found_st.st_dev))
            fail("mapping of memfd {} at {:#x} in task {}: two memfds of that name are open, which one is mapped is unknown",
                 v.path, v.rec.start, tid);
        if (found < 0) found = std::atoi(e->d_name), found_st = st;
    }
    if (found < 0)
        fail("mapping of memfd {} at {:#x} in task {}: the task holds no fd of it (a memfd mapped and then closed is not "
             "supported)", v.path, v.rec.start, tid);
    return fmt::format("/proc/self/fd/{}", found);
}
// --- objects (end) ---

}  // namespace

uint64_t find_free_range(const std::vector<const std::vector<Vma>*>& layouts, uint64_t size) {
    std::vector<std::pair<uint64_t, uint64_t>> used;
    for (const auto* l : layouts)
        for (const auto& v : *l) used.emplace_back(v.rec.start, v.rec.end);
    std::sort(used.begin(), used.end(), [](auto& a, auto& b) { return a.second > b.second; });
    // Leave a gap below the top so a growsdown stack keeps its guard gap.
    uint64_t candidate_end = kUserTop - (64ull << 20);
    for (;;) {
        uint64_t candidate = (candidate_end - size) & ~(kPageSize - 1);
        if (candidate < kLowest || candidate > candidate_end) fail("no free range of {} bytes in either layout", size);
        auto clash = std::find_if(used.begin(), used.end(), [&](auto& r) {
            return r.first < candidate + size + kPageSize && candidate < r.second + kPageSize;
        });
        if (clash == used.end()) return candidate;
        candidate_end = clash->first - kPageSize;
    }
}

RestorerArea install_restorer(Injector& inj, uint64_t base, uint64_t scratch_size) {
    RestorerArea area;
    area.base = base;
    area.scratch = base + kPageSize;
    area.scratch_size = (scratch_size + kPageSize - 1) & ~(kPageSize - 1);
    long got = inj.checked(fmt::format("mapping the restorer area at {:#x}", base), SYS_mmap, base, area.size(),
                           PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
                           static_cast<uint64_t>(-1), 0);
    if (static_cast<uint64_t>(got) != base) fail("restorer area landed at {:#x}, not {:#x}", got, base);
    // syscall; int3 (the stop after a syscall, when the injector uses int3
    // stops), then the batch loop 16 bytes in.
    const std::byte code[] = {std::byte{0x0f}, std::byte{0x05}, std::byte{0xcc}, std::byte{0xcc}};
    remote_write(inj.tid(), base, code);
    area.batch_loop = base + 16;
    remote_write(inj.tid(), area.batch_loop, syscall_batch_loop());
    inj.checked("making the restorer code page executable", SYS_mprotect, base, kPageSize, PROT_READ | PROT_EXEC);
    inj.set_syscall_insn(base);
    return area;
}

void clear_address_space(Injector& inj, const std::vector<Vma>& current, const RestorerArea& area,
                         const std::vector<std::pair<uint64_t, uint64_t>>& keep) {
    SyscallBatch batch(area.batch_loop, area.scratch, area.scratch_size);
    for (const auto& v : current) {
        if (is_vdso_group(v) || v.rec.kind == VmaKind::vsyscall) continue;
        if (v.rec.start >= area.base && v.rec.end <= area.base + area.size()) continue;
        // The pieces of the VMA outside every kept range (keep is ascending).
        uint64_t at = v.rec.start;
        for (const auto& [ks, ke] : keep) {
            if (ke <= at || ks >= v.rec.end) continue;
            if (ks > at)
                batch.add(fmt::format("unmapping {:#x}-{:#x} {} of the fresh task", at, ks, v.path), SYS_munmap, at,
                          ks - at);
            at = std::max(at, ke);
        }
        if (at < v.rec.end)
            batch.add(fmt::format("unmapping {:#x}-{:#x} {} of the fresh task", at, v.rec.end, v.path), SYS_munmap, at,
                      v.rec.end - at);
    }
    batch.run(inj);
}

void place_vdso(Injector& inj, const std::vector<Vma>& current, const std::vector<Vma>& dumped, uint64_t temp_base) {
    std::map<VmaKind, const Vma*> now, want;
    for (const auto& v : current)
        if (is_vdso_group(v)) now[v.rec.kind] = &v;
    for (const auto& v : dumped)
        if (is_vdso_group(v)) want[v.rec.kind] = &v;
    for (auto [kind, v] : want) {
        auto it = now.find(kind);
        if (it == now.end()) fail("the image has {} at {:#x} but this kernel maps none", v->path, v->rec.start);
        if (it->second->size() != v->size())
            fail("{} is {} bytes in the image but {} bytes on this kernel: the vDSO differs, refusing to restore",
                 v->path, v->size(), it->second->size());
    }
    // Phase one: everything to a temporary spot, so that no final range can
    // overlap a mapping still waiting to move (mremap refuses overlaps).
    std::map<VmaKind, uint64_t> at;
    uint64_t cursor = temp_base;
    for (auto [kind, v] : now) {
        if (!want.count(kind)) {
            inj.checked(fmt::format("unmapping {} absent from the image", v->path), SYS_munmap, v->rec.start, v->size());
            continue;
        }
        inj.checked(fmt::format("moving {} to a temporary spot {:#x}", v->path, cursor), SYS_mremap, v->rec.start,
                    v->size(), v->size(), MREMAP_MAYMOVE | MREMAP_FIXED, cursor);
        at[kind] = cursor;
        cursor += v->size();
    }
    for (auto [kind, v] : want)
        inj.checked(fmt::format("moving {} to its dumped address {:#x}", v->path, v->rec.start), SYS_mremap, at[kind],
                    v->size(), v->size(), MREMAP_MAYMOVE | MREMAP_FIXED, v->rec.start);
}

bool MemoryContentsSource::has_contents(const Vma& v) const {
    const auto& chunks = contents_.chunks;
    auto it = std::lower_bound(chunks.begin(), chunks.end(), v.rec.start,
                               [](const StoredChunk& c, uint64_t a) { return c.addr + c.data.size() <= a; });
    return it != chunks.end() && it->addr < v.rec.end;
}

void MemoryContentsSource::for_each_chunk(const std::function<void(uint64_t, std::span<const std::byte>)>& fn) {
    for (const auto& c : contents_.chunks) fn(c.addr, c.data);
}

void map_vmas(Injector& inj, const RestorerArea& area, const std::vector<Vma>& dumped, const HasContents& has) {
    // Anonymous VMAs go in batches; a file VMA needs the fd its openat
    // returns, so it runs the batch so far and then goes one by one.
    SyscallBatch batch(area.batch_loop, area.scratch, area.scratch_size);
    auto advise_huge = [&](const Vma& v) {
        // Huge-page advice before the fill, so the fill can use huge pages. A
        // hint: a kernel without THP refusing it does not stop the restore.
        if (v.rec.vm_flags & vm_hugepage) batch.add_unchecked(SYS_madvise, v.rec.start, v.size(), MADV_HUGEPAGE);
        if (v.rec.vm_flags & vm_nohugepage) batch.add_unchecked(SYS_madvise, v.rec.start, v.size(), MADV_NOHUGEPAGE);
    };
    for (const auto& v : dumped) {
        if (v.is_special()) {
            if (v.rec.kind == VmaKind::other) fail("cannot restore special mapping {} at {:#x}", v.path, v.rec.start);
            continue;
        }
        if (v.rec.start < area.base + area.size() && area.base < v.rec.end)
            fail("dumped VMA {:#x}-{:#x} overlaps the restorer area", v.rec.start, v.rec.end);
        if (v.rec.kind == VmaKind::sysv_shm) {
            batch.run(inj);
            attach_sysv_segment(inj, v);  // cr/ipc: the segment exists already, with its contents
            continue;
        }
        uint64_t prot = v.rec.prot;
        if (has(v)) prot |= PROT_READ | PROT_WRITE;
        uint64_t flags = MAP_FIXED | (v.rec.shared ? MAP_SHARED : MAP_PRIVATE);
        if (v.rec.vm_flags & vm_growsdown) flags |= MAP_GROWSDOWN;
        if (v.rec.vm_flags & vm_noreserve) flags |= MAP_NORESERVE;
        if (!v.is_file()) {
            // MAP_FIXED: success means the VMA is at its address.
            batch.add(fmt::format("mapping {:#x}-{:#x} {}", v.rec.start, v.rec.end, v.path), SYS_mmap, v.rec.start,
                      v.size(), prot, flags | MAP_ANONYMOUS, static_cast<uint64_t>(-1), 0);
            advise_huge(v);
            continue;
        }
        batch.run(inj);
        std::string path = v.path;
        if (v.rec.deleted && v.path.starts_with("/memfd:")) path = task_memfd_path(inj.tid(), v);  // objects
        else if (v.rec.deleted) fail("mapping of deleted file {} at {:#x}: not supported yet", v.path, v.rec.start);
        int oflags = (v.rec.shared && (v.rec.vm_flags & vm_maywrite)) ? O_RDWR : O_RDONLY;
        if (path.size() + 1 > area.scratch_size) fail("path too long: {}", path);
        remote_write(inj.tid(), area.scratch, std::as_bytes(std::span(path.c_str(), path.size() + 1)));
        auto fd = static_cast<uint64_t>(inj.checked(fmt::format("opening {} to map it at {:#x}", path, v.rec.start),
                                                    SYS_openat, static_cast<uint64_t>(AT_FDCWD), area.scratch,
                                                    oflags | O_CLOEXEC));
        long got = inj.syscall(SYS_mmap, v.rec.start, v.size(), prot, flags, fd, v.rec.pgoff);
        inj.syscall(SYS_close, fd);
        if (got < 0 && got > -4096)
            throw SystemError(static_cast<int>(-got), fmt::format("mapping {:#x}-{:#x} {} in task {}", v.rec.start,
                                                                  v.rec.end, v.path, inj.tid()));
        if (static_cast<uint64_t>(got) != v.rec.start) fail("VMA {:#x} landed at {:#x}", v.rec.start, got);
        advise_huge(v);
    }
    batch.run(inj);
}

FillStats fill_memory(Injector& inj, const std::vector<Vma>& dumped, PageSource& source) {
    FillStats stats;
    UffdFiller by_copy(inj, dumped, [&source](const Vma& v) { return source.has_contents(v); });
    std::atomic<uint64_t> off_thread_bytes = 0;
    OffThreadFill off;
    if (by_copy.active()) {
        off.takes = [&by_copy](uint64_t addr, uint64_t len) {
            bool inside = false;
            return by_copy.span_at(addr, len, inside) == len && inside;
        };
        off.fill = [&](uint64_t addr, std::span<const std::byte> data) {
            by_copy.copy_whole_pages(addr, data);
            off_thread_bytes += data.size();
        };
    }
    source.for_each_chunk([&](uint64_t addr, std::span<const std::byte> data) {
        stats.bytes += data.size();
        ++stats.chunks;
        while (!data.empty()) {
            bool registered = false;
            auto piece = data.first(by_copy.span_at(addr, data.size(), registered));
            if (registered) {
                by_copy.copy(addr, piece);
            } else {
                // Pre-faulting a large run in one call is about three times faster
                // than letting process_vm_writev fault it a page at a time.
                if (piece.size() >= (1u << 20)) inj.syscall(SYS_madvise, addr, piece.size(), MADV_POPULATE_WRITE);
                remote_write(inj.tid(), addr, piece);
            }
            addr += piece.size();
            data = data.subspan(piece.size());
        }
    }, off);
    stats.bytes += off_thread_bytes;
    by_copy.finish();
    stats.copied_bytes = by_copy.bytes_copied();
    return stats;
}

void finalize_vmas(Injector& inj, const RestorerArea& area, const std::vector<Vma>& dumped, const HasContents& has) {
    SyscallBatch batch(area.batch_loop, area.scratch, area.scratch_size);
    for (const auto& v : dumped) {
        if (v.is_special()) continue;
        if (has(v) && (v.rec.prot & (PROT_READ | PROT_WRITE)) != (PROT_READ | PROT_WRITE))
            batch.add(fmt::format("setting protection of {:#x}-{:#x}", v.rec.start, v.rec.end), SYS_mprotect,
                        v.rec.start, v.size(), v.rec.prot);
        struct Advice {
            uint64_t flag;
            int advice;
        };
        static constexpr Advice advices[] = {
            {vm_dontdump, MADV_DONTDUMP}, {vm_dontcopy, MADV_DONTFORK}, {vm_wipeonfork, MADV_WIPEONFORK},
            {vm_mergeable, MADV_MERGEABLE}, {vm_random, MADV_RANDOM},   {vm_seqread, MADV_SEQUENTIAL},
        };
        for (const auto& a : advices)
            if (v.rec.vm_flags & a.flag)
                batch.add(fmt::format("madvise {} on {:#x}-{:#x}", a.advice, v.rec.start, v.rec.end), SYS_madvise,
                          v.rec.start, v.size(), a.advice);
        if (v.rec.vm_flags & vm_locked)
            batch.add(fmt::format("mlock of {:#x}-{:#x}", v.rec.start, v.rec.end), SYS_mlock, v.rec.start, v.size());
    }
    batch.run(inj);
}

}  // namespace myrt::cr
