#pragma once
// Filling a restored task's private anonymous memory with UFFDIO_COPY.
//
// The task creates a userfaultfd for its own mm (one injected syscall); we
// take a copy of that fd with pidfd_getfd and, from our own process, register
// each anonymous VMA that has dumped contents and copy the image's pages into
// it. UFFDIO_COPY allocates each page, copies our buffer into it and maps it
// in one step: no zeroing pass (MADV_POPULATE_WRITE) and no page pinning per
// 4 KiB (process_vm_writev). Measured here: 256 MiB in ~42 ms instead of ~85.
// The ranges are unregistered before the task runs again, so its VMAs end up
// exactly as map_vmas made them.
//
// Where userfaultfd is unavailable (an old kernel, a seccomp filter that
// refuses it in the placeholder), the filler stays inactive and fill_memory
// falls back to MADV_POPULATE_WRITE plus process_vm_writev.
#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "cr/memory/pagemap.hpp"
#include "cr/memory/vma.hpp"
#include "util/fd.hpp"

namespace myrt::cr {

class Injector;

// /sys/kernel/mm/transparent_hugepage/enabled: which anonymous memory gets
// 2 MiB pages on its first touch.
enum class ThpMode { always, madvise, never };
ThpMode system_thp_mode();

// Whether `v`'s contents go in by UFFDIO_COPY: private anonymous, heap and
// stack memory that would get 4 KiB pages anyway. UFFDIO_COPY maps only
// 4 KiB pages, so memory that gets huge pages on first touch (advised, or
// any large enough VMA under THP "always") keeps the populate path, which
// gives it huge pages as the container had them.
bool fills_by_copy(const Vma& v, ThpMode mode);

class UffdFiller {
public:
    // Registers every VMA of `dumped` that has contents and fills_by_copy().
    UffdFiller(Injector& inj, const std::vector<Vma>& dumped, const std::function<bool(const Vma&)>& has_contents);
    UffdFiller(const UffdFiller&) = delete;
    UffdFiller& operator=(const UffdFiller&) = delete;
    // Unregisters whatever is still registered (best effort: on an error path
    // the task is killed anyway).
    ~UffdFiller();

    bool active() const noexcept { return static_cast<bool>(uffd_); }
    // How many bytes from `addr` on lie inside one registered target (0: none
    // at `addr`); `inside` says which side of a boundary `addr` is on.
    uint64_t span_at(uint64_t addr, uint64_t len, bool& inside) const;
    // Copies `data` to `addr`, which lies wholly inside one registered target.
    // UFFDIO_COPY places whole pages only: a piece of a page (a stream chunk
    // may end anywhere) waits here for the rest, which must come next.
    void copy(uint64_t addr, std::span<const std::byte> data);
    // Whole pages at a page-aligned `addr` inside one registered target. Safe
    // to call from several threads at once (and alongside copy()).
    void copy_whole_pages(uint64_t addr, std::span<const std::byte> data);
    // Unregisters every target; the task's VMAs are as before registration.
    // Fails if a page was left incomplete.
    void finish();

    uint64_t bytes_copied() const noexcept { return copied_.load(); }

private:
    struct Range {
        uint64_t start, end;
        bool registered = false;
    };
    void unregister_all(bool strict);
    void copy_pages(uint64_t addr, std::span<const std::byte> data);

    pid_t tid_;
    UniqueFd uffd_;
    std::vector<Range> targets_;  // sorted, disjoint
    std::atomic<uint64_t> copied_ = 0;
    std::array<std::byte, kPageSize> partial_{};  // the start of the page at partial_addr_
    uint64_t partial_addr_ = 0;
    size_t partial_len_ = 0;
};

}  // namespace myrt::cr
