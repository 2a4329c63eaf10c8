#pragma once
// Which pages a dump writes, given what an earlier dump (the parent image)
// already holds. A page goes in the image unless all of these hold:
//   - its VMA is still registered for dirty tracking (write_tracking.hpp), so
//     every write since the parent's dump cleared its protection;
//   - the scan found it not written since;
//   - the parent chain holds its contents (a page that was absent, or shared
//     copy-on-write with the parent process, when the parent was made is not there).
// Such a page is "in the parent" (PARENT_PAGES): present now, contents as the
// parent chain has them. Pages absent now are neither: a restore leaves them
// empty, whatever the parent holds.
#include <cstdint>
#include <vector>

#include "cr/memory/pagemap.hpp"
#include "cr/memory/vma.hpp"

namespace myrt::cr {

struct PagePlan {
    std::vector<PageRun> dump;       // read and written as PAGES, ascending
    std::vector<PageRun> in_parent;  // PARENT_PAGES, ascending
};

// `dumpable`: every page whose contents a dump needs (dumpable_pages);
// `skip`: pages another record carries (COW_PAGES); `clean`: pages of tracked
// VMAs not written since the parent was dumped; `parent_has`: the pages of
// this process the parent chain holds. All ascending, page granular.
PagePlan plan_pages(const std::vector<PageRun>& dumpable, const std::vector<PageRun>& skip,
                    const std::vector<PageRun>& clean, const std::vector<PageRun>& parent_has);

// The pages of `vma` that `written` (ascending, inside it) leaves out.
std::vector<PageRun> unwritten_pages(const Vma& vma, const std::vector<PageRun>& written);

// Page-run arithmetic (ascending, page granular, runs not overlapping). The
// intersection keeps the boundaries of `a`'s runs (so runs split per VMA stay so).
std::vector<PageRun> intersect_runs(const std::vector<PageRun>& a, const std::vector<PageRun>& b);
// Adjacent runs joined; input ascending.
std::vector<PageRun> coalesce_runs(std::vector<PageRun> runs);
uint64_t count_pages(const std::vector<PageRun>& runs);

}  // namespace myrt::cr
