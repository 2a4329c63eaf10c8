#pragma once
// Private anonymous pages a process still shares copy-on-write with its
// parent after fork: found by their physical page (the pagemap PFN, which
// needs CAP_SYS_ADMIN to be shown) being the same in both at the same
// address. The restore forks the process from its already-restored parent,
// so those pages are shared again instead of copied (docs/cr-process.md).
#include <sys/types.h>

#include <cstdint>
#include <vector>

#include "cr/memory/pagemap.hpp"
#include "cr/memory/vma.hpp"

namespace myrt::cr {

// Private anonymous memory: anonymous, heap or stack, not shared, not a file.
bool is_private_anon(const Vma& v);

// Whether [start, end) lies inside private anonymous VMAs of `vmas` (sorted)
// that follow one another without a gap.
bool covered_by_private_anon(const std::vector<Vma>& vmas, uint64_t start, uint64_t end);

// The runs of `child`'s private anonymous pages mapped to the same physical
// page as `parent`'s at the same address, ascending. Only VMAs the restore can
// inherit count: covered by the parent's private anonymous VMAs, with the same
// growsdown, noreserve and huge-page advice. Empty when PFNs are hidden.
std::vector<PageRun> cow_shared_runs(pid_t child, const std::vector<Vma>& child_vmas, pid_t parent,
                                     const std::vector<Vma>& parent_vmas);

// `runs` without the pages of `minus` (both ascending, page granular).
std::vector<PageRun> subtract_runs(const std::vector<PageRun>& runs, const std::vector<PageRun>& minus);

}  // namespace myrt::cr
