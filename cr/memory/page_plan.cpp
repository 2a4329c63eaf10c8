#include "cr/memory/page_plan.hpp"

#include <algorithm>

#include "cr/memory/cow_shared.hpp"

namespace myrt::cr {

std::vector<PageRun> intersect_runs(const std::vector<PageRun>& a, const std::vector<PageRun>& b) {
    std::vector<PageRun> out;
    size_t i = 0, j = 0;
    while (i < a.size() && j < b.size()) {
        uint64_t ae = a[i].start + a[i].npages * kPageSize, be = b[j].start + b[j].npages * kPageSize;
        uint64_t s = std::max(a[i].start, b[j].start), e = std::min(ae, be);
        if (s < e) out.push_back({s, (e - s) / kPageSize});
        if (ae < be) ++i;
        else ++j;
    }
    return out;  // not joined: each piece stays inside one run of `a` (one VMA)
}

std::vector<PageRun> coalesce_runs(std::vector<PageRun> runs) {
    std::vector<PageRun> out;
    for (const auto& r : runs) {
        if (r.npages == 0) continue;
        if (!out.empty() && out.back().start + out.back().npages * kPageSize == r.start) out.back().npages += r.npages;
        else out.push_back(r);
    }
    return out;
}

uint64_t count_pages(const std::vector<PageRun>& runs) {
    uint64_t n = 0;
    for (const auto& r : runs) n += r.npages;
    return n;
}

std::vector<PageRun> unwritten_pages(const Vma& vma, const std::vector<PageRun>& written) {
    return subtract_runs({{vma.rec.start, vma.size() / kPageSize}}, written);
}

PagePlan plan_pages(const std::vector<PageRun>& dumpable, const std::vector<PageRun>& skip,
                    const std::vector<PageRun>& clean, const std::vector<PageRun>& parent_has) {
    PagePlan plan;
    auto wanted = subtract_runs(dumpable, skip);
    plan.in_parent = intersect_runs(intersect_runs(wanted, clean), parent_has);
    plan.dump = subtract_runs(wanted, plan.in_parent);
    return plan;
}

}  // namespace myrt::cr
