#include "cr/memory/write_tracking.hpp"

#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "cr/ptrace/inject.hpp"
#include "util/error.hpp"

namespace myrt::cr {
namespace {

// Linux 6.7 uapi, absent from Debian 12's headers.
constexpr uint64_t kFeatureWpAsync = 1ull << 15;  // UFFD_FEATURE_WP_ASYNC
constexpr uint64_t kUserModeOnly = 1;             // UFFD_USER_MODE_ONLY: no CAP_SYS_PTRACE needed in the task

struct PageRegion {
    uint64_t start, end, categories;
};
struct PmScanArg {
    uint64_t size, flags, start, end, walk_end, vec, vec_len, max_pages, category_inverted, category_mask,
        category_anyof_mask, return_mask;
};
constexpr uint64_t kPageIsWritten = 1ull << 1;          // PAGE_IS_WRITTEN
constexpr uint64_t kScanWpMatching = 1ull << 0;         // PM_SCAN_WP_MATCHING
constexpr uint64_t kScanCheckWpAsync = 1ull << 1;       // PM_SCAN_CHECK_WPASYNC
const unsigned long kPagemapScan = _IOWR('f', 16, PmScanArg);  // PAGEMAP_SCAN

int retry_ioctl(int fd, unsigned long request, void* arg) {
    int rc;
    do rc = ::ioctl(fd, request, arg);
    while (rc < 0 && errno == EINTR);
    return rc;
}

}  // namespace

UniqueFd open_write_tracker(Injector& inj, std::string& why_not) {
    long remote = inj.syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | kUserModeOnly);
    if (remote < 0) {
        why_not = fmt::format("userfaultfd refused in task {}: {}", inj.tid(), std::strerror(static_cast<int>(-remote)));
        return {};
    }
    UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, inj.tid(), 0)));
    UniqueFd uffd;
    if (pidfd) uffd.reset(static_cast<int>(::syscall(SYS_pidfd_getfd, pidfd.get(), static_cast<int>(remote), 0)));
    int getfd_errno = errno;
    inj.syscall(SYS_close, static_cast<uint64_t>(remote));  // the workload never sees it
    if (!uffd) throw SystemError(getfd_errno, fmt::format("taking the userfaultfd of task {}", inj.tid()));
    uffdio_api api{};
    api.api = UFFD_API;
    api.features = kFeatureWpAsync;
    if (retry_ioctl(uffd.get(), UFFDIO_API, &api) < 0) {
        why_not = fmt::format("this kernel's userfaultfd has no asynchronous write protection ({})", std::strerror(errno));
        return {};
    }
    return uffd;
}

bool trackable(const Vma& v) {
    if (!vma_may_need_contents(v) || v.rec.shared || (v.rec.vm_flags & vm_hugetlb)) return false;
    return v.rec.kind == VmaKind::anonymous || v.rec.kind == VmaKind::heap || v.rec.kind == VmaKind::stack ||
           v.rec.kind == VmaKind::file;
}

std::string start_tracking(int uffd, const Vma& v) {
    uffdio_register reg{};
    reg.range.start = v.rec.start;
    reg.range.len = v.size();
    reg.mode = UFFDIO_REGISTER_MODE_WP;
    if (retry_ioctl(uffd, UFFDIO_REGISTER, &reg) < 0) return fmt::format("UFFDIO_REGISTER: {}", std::strerror(errno));
    uffdio_writeprotect wp{};
    wp.range = reg.range;
    wp.mode = UFFDIO_WRITEPROTECT_MODE_WP;
    if (retry_ioctl(uffd, UFFDIO_WRITEPROTECT, &wp) < 0) {
        std::string why = fmt::format("UFFDIO_WRITEPROTECT: {}", std::strerror(errno));
        uffdio_range range = reg.range;
        retry_ioctl(uffd, UFFDIO_UNREGISTER, &range);
        return why;
    }
    return {};
}

std::vector<PageRun> written_since_protected(int pagemap_fd, const Vma& v, bool protect_again) {
    std::vector<PageRun> runs;
    PageRegion regions[512];
    uint64_t at = v.rec.start;
    while (at < v.rec.end) {
        // Only PAGE_IS_WRITTEN in both masks: the walk's fast path, which
        // reports a zapped page as written on every kernel that has the ioctl.
        PmScanArg arg{};
        arg.size = sizeof arg;
        arg.flags = kScanCheckWpAsync | (protect_again ? kScanWpMatching : 0);
        arg.start = at;
        arg.end = v.rec.end;
        arg.vec = reinterpret_cast<uint64_t>(regions);
        arg.vec_len = std::size(regions);
        arg.category_mask = kPageIsWritten;
        arg.return_mask = kPageIsWritten;
        int n = retry_ioctl(pagemap_fd, kPagemapScan, &arg);
        if (n < 0) throw_errno("PAGEMAP_SCAN of {:#x}-{:#x}", at, v.rec.end);
        for (int i = 0; i < n; ++i) {
            uint64_t s = regions[i].start, e = regions[i].end;
            if (s < at || e > v.rec.end || s >= e || (s | e) % kPageSize)
                fail("PAGEMAP_SCAN of {:#x}-{:#x} answered the range {:#x}-{:#x}", at, v.rec.end, s, e);
            if (!runs.empty() && runs.back().start + runs.back().npages * kPageSize == s)
                runs.back().npages += (e - s) / kPageSize;
            else
                runs.push_back({s, (e - s) / kPageSize});
        }
        if (arg.walk_end <= at || arg.walk_end > v.rec.end)
            fail("PAGEMAP_SCAN of {:#x}-{:#x} stopped at {:#x}", at, v.rec.end, arg.walk_end);
        at = arg.walk_end;
    }
    return runs;
}

}  // namespace myrt::cr
