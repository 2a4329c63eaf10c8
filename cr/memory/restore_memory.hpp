#pragma once
// Rebuilding an address space inside a stopped task by injected syscalls.
// The order is forced by what each step destroys:
//   1. install_restorer: a private page with `syscall` at an address free in
//      both layouts (the vDSO we borrowed it from is about to move, and every
//      other mapping is about to go);
//   2. clear_address_space: unmap everything the fresh task had, except the
//      restorer and the vDSO group;
//   3. place_vdso: move [vvar] [vvar_vclock] [vdso] to the dumped addresses
//      (via a temporary spot, since old and new ranges may overlap);
//   4. map_vmas: every dumped VMA at its address, writable while it is filled;
//   5. fill_memory: contents by UFFDIO_COPY or process_vm_writev;
//   6. finalize_vmas: final protections and madvise flags.
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "cr/memory/dump_memory.hpp"
#include "cr/memory/vma.hpp"

namespace myrt::cr {

class Injector;

struct RestorerArea {
    uint64_t base = 0;          // code page: `syscall; int3`, then the syscall batch loop
    uint64_t batch_loop = 0;    // see cr/ptrace/syscall_batch.hpp
    uint64_t scratch = 0;       // second page onward: arguments and batch tables
    uint64_t scratch_size = 0;
    uint64_t size() const { return scratch + scratch_size - base; }
};

// Room for a syscall batch's table and its arguments (a full setgroups list
// is 256 KiB). Only the pages written are ever faulted in.
inline constexpr uint64_t kRestorerScratchSize = 320 * 1024;

// A page-aligned range of `size` bytes overlapping no VMA of any layout
// (searched downward from the top of the 47-bit user address space).
uint64_t find_free_range(const std::vector<const std::vector<Vma>*>& layouts, uint64_t size);

RestorerArea install_restorer(Injector& inj, uint64_t base, uint64_t scratch_size = kRestorerScratchSize);
// `keep`: ranges left mapped (pages inherited from the parent by fork, cow_shared.hpp).
void clear_address_space(Injector& inj, const std::vector<Vma>& current, const RestorerArea& area,
                         const std::vector<std::pair<uint64_t, uint64_t>>& keep = {});
void place_vdso(Injector& inj, const std::vector<Vma>& current, const std::vector<Vma>& dumped, uint64_t temp_base);

// Memory a fill can take off the tracer's thread: `takes` says whether every
// page of [addr, addr + len) goes in by UFFDIO_COPY, and `fill` places whole
// pages there from any thread.
struct OffThreadFill {
    std::function<bool(uint64_t addr, uint64_t len)> takes;
    std::function<void(uint64_t addr, std::span<const std::byte> data)> fill;
};

// Where a restore takes dumped pages from. A stream reader implements it
// over page records as they arrive, so contents are never staged whole.
class PageSource {
public:
    using ChunkFn = std::function<void(uint64_t addr, std::span<const std::byte> data)>;
    virtual ~PageSource() = default;
    // Whether any dumped page lies in `vma` (it is then mapped writable for the fill).
    virtual bool has_contents(const Vma& vma) const = 0;
    // Every dumped chunk in address order; each span is valid only during the call.
    virtual void for_each_chunk(const ChunkFn& fn) = 0;
    // The same, but a source that can read records on its own may give
    // those `off.takes` to `off.fill`, on several threads and in any order.
    virtual void for_each_chunk(const ChunkFn& fn, const OffThreadFill& off) {
        (void)off;
        for_each_chunk(fn);
    }
};

// A PageSource over chunks kept in memory (tests, small processes).
class MemoryContentsSource final : public PageSource {
public:
    explicit MemoryContentsSource(const MemoryContents& contents) : contents_(contents) {}
    bool has_contents(const Vma& vma) const override;
    void for_each_chunk(const std::function<void(uint64_t, std::span<const std::byte>)>& fn) override;

private:
    const MemoryContents& contents_;
};

using HasContents = std::function<bool(const Vma&)>;

void map_vmas(Injector& inj, const RestorerArea& area, const std::vector<Vma>& dumped, const HasContents& has);
struct FillStats {
    uint64_t bytes = 0;
    uint64_t chunks = 0;
    uint64_t copied_bytes = 0;  // of `bytes`, placed by UFFDIO_COPY
};
// Private anonymous memory that would get 4 KiB pages is filled by UFFDIO_COPY
// (uffd_fill.hpp, fills_by_copy), the rest (file mappings, shared memory,
// memory that gets huge pages on first touch) by MADV_POPULATE_WRITE plus
// process_vm_writev.
FillStats fill_memory(Injector& inj, const std::vector<Vma>& dumped, PageSource& source);
void finalize_vmas(Injector& inj, const RestorerArea& area, const std::vector<Vma>& dumped, const HasContents& has);

}  // namespace myrt::cr
