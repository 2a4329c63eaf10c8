#pragma once
// Which pages a process wrote since a point in time, without soft-dirty
// (absent from this kernel): a userfaultfd in asynchronous write-protect mode
// (UFFD_FEATURE_WP_ASYNC, Linux 6.7). Every page of a registered VMA is
// write-protected; the first write to one clears its protection in the
// kernel, with no message and no stop; PAGEMAP_SCAN on /proc/PID/pagemap lists
// the pages whose protection is gone (written) and protects them again in the
// same walk.
//
// The userfaultfd belongs to the process's mm, not to an fd table: it is made
// by the task (one injected syscall), taken out with pidfd_getfd and closed in
// the task, so the workload never sees it. Whoever holds our copy keeps the
// tracking alive (cr/checkpoint/dirty_holder.hpp); closing the last copy
// unregisters every VMA. smaps shows a registered VMA's "uw" flag
// (Vma::uffd_wp): a VMA mapped, moved by mremap or inherited by fork since is
// not registered, so its pages count as written.
#include <sys/types.h>

#include <string>
#include <vector>

#include "cr/memory/pagemap.hpp"
#include "cr/memory/vma.hpp"
#include "util/fd.hpp"

namespace myrt::cr {

class Injector;

// A userfaultfd of the task's mm with asynchronous write protection, or an
// empty fd and the reason (old kernel, userfaultfd refused) in `why_not`.
UniqueFd open_write_tracker(Injector& inj, std::string& why_not);

// Whether dirty tracking applies to `v`: private memory whose pages are
// dumped (anonymous, heap, stack, copied-on-write pages of a private file
// mapping). Shared memory is not: a write through another process's mapping
// would not touch this process's page table. Nor is hugetlb.
bool trackable(const Vma& v);

// Registers `v` for write protection and protects all its pages. Returns ""
// or why the kernel refused (the VMA is then dumped whole each time).
std::string start_tracking(int uffd, const Vma& v);

// The pages of a registered VMA written since they were last protected,
// ascending; they are protected again in the same walk. The scan fails (rather
// than report a page clean) if any part of the range is not registered.
std::vector<PageRun> written_since_protected(int pagemap_fd, const Vma& v, bool protect_again);

}  // namespace myrt::cr
