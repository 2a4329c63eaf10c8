#pragma once
// Which pages of one seized process a dump writes (cr/memory/page_plan.hpp),
// from its dirty tracking and the parent chain; a pre-dump also starts or
// renews the tracking. The result is a list of ranges that the memory dump
// (how pages are read and written) consumes.
#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "cr/checkpoint/dirty_holder.hpp"
#include "cr/driver/image_chain.hpp"
#include "cr/memory/page_plan.hpp"
#include "cr/memory/vma.hpp"

namespace myrt::cr {

struct SelectionContext {
    const driver::ImageChain* chain = nullptr;  // the parent chain (empty: no parent)
    const DirtyTracking* tracking = nullptr;    // the tracking adopted from the holder, if any
    bool pre_dump = false;                      // start tracking where there is none, protect again after the scan
    std::function<void(const std::string&)> log;
};

struct SelectedPages {
    PagePlan plan;
    uint64_t tracked_vmas = 0;    // scanned for written pages
    uint64_t new_vmas = 0;        // registered now (pre-dump): dumped whole this time
    uint64_t untracked_vmas = 0;  // with contents but not trackable: dumped whole every time
};

// `tid`: a stopped thread of the process (seized); `start_time` and `ns_pid`
// identify it across dumps. In a pre-dump, `tracker` receives the process's
// userfaultfd (the adopted one, or one made now; empty if none could be).
SelectedPages select_pages(pid_t tid, unsigned long long start_time, int32_t ns_pid, const std::vector<Vma>& vmas,
                           const std::vector<PageRun>& skip, const SelectionContext& ctx, TrackedProcess* tracker);

}  // namespace myrt::cr
