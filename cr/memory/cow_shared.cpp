#include "cr/memory/cow_shared.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>

#include "util/error.hpp"
#include "util/fd.hpp"

namespace myrt::cr {
namespace {

constexpr uint64_t kPresent = 1ull << 63;
constexpr uint64_t kSwapped = 1ull << 62;
constexpr uint64_t kPfnMask = (1ull << 55) - 1;
constexpr size_t kEntriesPerRead = 65536;
constexpr uint64_t kInheritFlags = vm_growsdown | vm_noreserve | vm_hugepage | vm_nohugepage;

void read_entries(int fd, pid_t pid, uint64_t page, std::vector<uint64_t>& out, size_t n) {
    out.resize(n);
    size_t done = 0;
    while (done < n) {
        ssize_t got = ::pread(fd, out.data() + done, (n - done) * 8, static_cast<off_t>((page + done) * 8));
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) throw_errno("reading /proc/{}/pagemap at page {:#x}", pid, (page + done) * kPageSize);
        done += static_cast<size_t>(got) / 8;
    }
}

UniqueFd open_pagemap(pid_t pid) {
    std::string path = fmt::format("/proc/{}/pagemap", pid);
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) throw_errno("cannot open {}", path);
    return fd;
}

// The parent VMA holding `addr`, or null.
const Vma* vma_at(const std::vector<Vma>& vmas, uint64_t addr) {
    auto after = std::upper_bound(vmas.begin(), vmas.end(), addr, [](uint64_t a, const Vma& v) { return a < v.rec.start; });
    if (after == vmas.begin()) return nullptr;
    const Vma& v = *std::prev(after);
    return addr < v.rec.end ? &v : nullptr;
}

}  // namespace

bool is_private_anon(const Vma& v) {
    return !v.rec.shared &&
           (v.rec.kind == VmaKind::anonymous || v.rec.kind == VmaKind::heap || v.rec.kind == VmaKind::stack) &&
           !(v.rec.vm_flags & (vm_io | vm_pfnmap | vm_hugetlb));
}

bool covered_by_private_anon(const std::vector<Vma>& vmas, uint64_t start, uint64_t end) {
    uint64_t at = start;
    while (at < end) {
        const Vma* v = vma_at(vmas, at);
        if (!v || !is_private_anon(*v)) return false;
        at = v->rec.end;
    }
    return true;
}

std::vector<PageRun> cow_shared_runs(pid_t child, const std::vector<Vma>& child_vmas, pid_t parent,
                                     const std::vector<Vma>& parent_vmas) {
    std::vector<PageRun> runs;
    UniqueFd cfd = open_pagemap(child), pfd = open_pagemap(parent);
    std::vector<uint64_t> ce, pe;
    for (const auto& v : child_vmas) {
        if (!is_private_anon(v) || !covered_by_private_anon(parent_vmas, v.rec.start, v.rec.end)) continue;
        // The restore inherits the parent's mapping for the whole VMA: its
        // flags that only mapping sets must be the child's.
        bool same_flags = true;
        for (uint64_t at = v.rec.start; at < v.rec.end;) {
            const Vma* p = vma_at(parent_vmas, at);
            if ((p->rec.vm_flags & kInheritFlags) != (v.rec.vm_flags & kInheritFlags)) same_flags = false;
            at = p->rec.end;
        }
        if (!same_flags) continue;
        for (uint64_t page = v.rec.start / kPageSize, last = v.rec.end / kPageSize; page < last;) {
            size_t n = static_cast<size_t>(std::min<uint64_t>(last - page, kEntriesPerRead));
            read_entries(cfd.get(), child, page, ce, n);
            read_entries(pfd.get(), parent, page, pe, n);
            for (size_t i = 0; i < n; ++i) {
                uint64_t c = ce[i], p = pe[i];
                // Present (not swapped) in both, on one nonzero PFN (zero: hidden).
                bool shared = (c & kPresent) && !(c & kSwapped) && (p & kPresent) && !(p & kSwapped) &&
                              (c & kPfnMask) != 0 && (c & kPfnMask) == (p & kPfnMask);
                if (!shared) continue;
                uint64_t addr = (page + i) * kPageSize;
                if (!runs.empty() && runs.back().start + runs.back().npages * kPageSize == addr) ++runs.back().npages;
                else runs.push_back({addr, 1});
            }
            page += n;
        }
    }
    return runs;
}

std::vector<PageRun> subtract_runs(const std::vector<PageRun>& runs, const std::vector<PageRun>& minus) {
    if (minus.empty()) return runs;
    std::vector<PageRun> out;
    size_t m = 0;
    for (const auto& r : runs) {
        uint64_t at = r.start, end = r.start + r.npages * kPageSize;
        while (m < minus.size() && minus[m].start + minus[m].npages * kPageSize <= at) ++m;
        size_t k = m;
        while (at < end) {
            if (k >= minus.size() || minus[k].start >= end) {
                out.push_back({at, (end - at) / kPageSize});
                break;
            }
            uint64_t ms = std::max(minus[k].start, at), me = minus[k].start + minus[k].npages * kPageSize;
            if (ms > at) out.push_back({at, (ms - at) / kPageSize});
            at = std::min(me, end);
            if (me <= end) ++k;
        }
    }
    return out;
}

}  // namespace myrt::cr
