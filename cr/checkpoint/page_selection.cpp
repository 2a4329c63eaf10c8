#include "cr/checkpoint/page_selection.hpp"

#include <fcntl.h>
#include <unistd.h>

#include "cr/memory/dump_memory.hpp"
#include "cr/memory/write_tracking.hpp"
#include "cr/ptrace/inject.hpp"
#include "util/error.hpp"

namespace myrt::cr {

SelectedPages select_pages(pid_t tid, unsigned long long start_time, int32_t ns_pid, const std::vector<Vma>& vmas,
                           const std::vector<PageRun>& skip, const SelectionContext& ctx, TrackedProcess* tracker) {
    SelectedPages out;
    int adopted = ctx.tracking ? ctx.tracking->uffd_for(tid, start_time) : -1;
    int uffd = adopted;
    if (ctx.pre_dump && tracker) {
        tracker->pid = tid;
        tracker->start_time = start_time;
        tracker->ns_pid = ns_pid;
        if (adopted >= 0) {
            tracker->uffd.reset(::fcntl(adopted, F_DUPFD_CLOEXEC, 0));
        } else {
            std::string why_not;
            Injector inj(tid);
            tracker->uffd = open_write_tracker(inj, why_not);
            inj.finish();
            if (!tracker->uffd && ctx.log)
                ctx.log(fmt::format("process {}: no dirty tracking ({}); every page is dumped each time", ns_pid, why_not));
        }
        uffd = tracker->uffd.get();
    }
    UniqueFd pagemap(::open(fmt::format("/proc/{}/pagemap", tid).c_str(), O_RDONLY | O_CLOEXEC));
    if (!pagemap) throw_errno("opening /proc/{}/pagemap", tid);
    // Pages of tracked VMAs not written since the parent: only they may be
    // taken from it, and only where its tracking is the one adopted (the
    // pages count from the parent's dump).
    const bool counts_from_parent = ctx.chain && !ctx.chain->empty() && adopted >= 0;
    std::vector<PageRun> clean;
    for (const auto& v : vmas) {
        if (!vma_may_need_contents(v)) continue;
        if (!trackable(v)) {
            ++out.untracked_vmas;
            if (ctx.pre_dump && ctx.log)
                ctx.log(fmt::format("process {}: {:#x}-{:#x} {} is not tracked ({}): dumped whole each time", ns_pid,
                                    v.rec.start, v.rec.end, v.path.empty() ? "anonymous" : v.path,
                                    v.rec.shared ? "shared memory" : "hugetlb"));
            continue;
        }
        if (v.uffd_wp && adopted >= 0) {
            ++out.tracked_vmas;
            if (!counts_from_parent && !ctx.pre_dump) continue;  // nothing to take from a parent, nothing to renew
            auto written = written_since_protected(pagemap.get(), v, ctx.pre_dump);
            if (counts_from_parent) {
                auto unwritten = unwritten_pages(v, written);
                clean.insert(clean.end(), unwritten.begin(), unwritten.end());
            }
        } else if (ctx.pre_dump && uffd >= 0) {
            auto why = start_tracking(uffd, v);
            if (!why.empty() && ctx.log)
                ctx.log(fmt::format("process {}: {:#x}-{:#x} {} cannot be tracked ({}): dumped whole each time", ns_pid,
                                    v.rec.start, v.rec.end, v.path.empty() ? "anonymous" : v.path, why));
            if (why.empty()) ++out.new_vmas;
            else ++out.untracked_vmas;
        } else {
            ++out.untracked_vmas;  // mapped since the tracking started (or none): dumped whole
        }
    }
    std::vector<PageRun> parent_has;
    if (counts_from_parent) {
        auto it = ctx.chain->images[0].processes.find(ns_pid);
        if (it != ctx.chain->images[0].processes.end()) parent_has = it->second.all();
    }
    out.plan = plan_pages(dumpable_pages(tid, vmas), skip, clean, parent_has);
    return out;
}

}  // namespace myrt::cr
