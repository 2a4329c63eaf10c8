#include "cr/memory/uffd_fill.hpp"

#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <string>

#include "cr/ptrace/inject.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace myrt::cr {
namespace {

// UFFD_USER_MODE_ONLY (Linux 5.11): a userfaultfd that handles no faults
// taken in kernel mode needs no CAP_SYS_PTRACE whatever
// vm.unprivileged_userfaultfd says. No fault is ever handled here: every
// registered page is copied in, or left for the kernel's zero page once the
// range is unregistered.
constexpr uint64_t kUffdUserModeOnly = 1;

int uffd_ioctl(int fd, unsigned long request, void* arg) {
    int rc;
    do rc = ::ioctl(fd, request, arg);
    while (rc < 0 && errno == EINTR);
    return rc;
}

constexpr uint64_t kHugePage = 2ull << 20;

}  // namespace

ThpMode system_thp_mode() {
    std::ifstream in("/sys/kernel/mm/transparent_hugepage/enabled");
    std::string line;
    std::getline(in, line);
    if (line.find("[always]") != std::string::npos) return ThpMode::always;
    if (line.find("[madvise]") != std::string::npos) return ThpMode::madvise;
    return ThpMode::never;  // "[never]", or no THP in this kernel
}

bool fills_by_copy(const Vma& v, ThpMode mode) {
    if (v.rec.shared) return false;
    if (v.rec.kind != VmaKind::anonymous && v.rec.kind != VmaKind::heap && v.rec.kind != VmaKind::stack) return false;
    if (v.rec.vm_flags & vm_hugetlb) return false;
    if (mode == ThpMode::never || (v.rec.vm_flags & vm_nohugepage)) return true;
    if (v.rec.vm_flags & vm_hugepage) return false;
    if (mode == ThpMode::madvise) return true;
    // THP "always": huge pages wherever an aligned 2 MiB block fits.
    uint64_t first_block = (v.rec.start + kHugePage - 1) & ~(kHugePage - 1);
    return first_block + kHugePage > v.rec.end;
}

UffdFiller::UffdFiller(Injector& inj, const std::vector<Vma>& dumped,
                       const std::function<bool(const Vma&)>& has_contents)
    : tid_(inj.tid()) {
    const ThpMode thp = system_thp_mode();
    for (const auto& v : dumped)
        if (fills_by_copy(v, thp) && has_contents(v)) targets_.push_back({v.rec.start, v.rec.end});
    if (targets_.empty()) return;
    std::sort(targets_.begin(), targets_.end(), [](const Range& a, const Range& b) { return a.start < b.start; });

    long remote = inj.syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | kUffdUserModeOnly);
    if (remote < 0) {
        log::debug("restore of {}: userfaultfd refused in the task ({}); filling with process_vm_writev", tid_,
                   std::strerror(static_cast<int>(-remote)));
        targets_.clear();
        return;
    }
    UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, tid_, 0)));
    if (pidfd) uffd_.reset(static_cast<int>(::syscall(SYS_pidfd_getfd, pidfd.get(), static_cast<int>(remote), 0)));
    int getfd_errno = errno;
    // The task never needs its own copy: ours keeps the userfaultfd alive.
    inj.syscall(SYS_close, static_cast<uint64_t>(remote));
    if (!uffd_) throw SystemError(getfd_errno, fmt::format("taking the userfaultfd of task {}", tid_));

    uffdio_api api{};
    api.api = UFFD_API;
    if (uffd_ioctl(uffd_.get(), UFFDIO_API, &api) < 0) throw_errno("UFFDIO_API on the userfaultfd of task {}", tid_);
    for (auto& t : targets_) {
        uffdio_register reg{};
        reg.range.start = t.start;
        reg.range.len = t.end - t.start;
        reg.mode = UFFDIO_REGISTER_MODE_MISSING;
        if (uffd_ioctl(uffd_.get(), UFFDIO_REGISTER, &reg) < 0)
            throw_errno("registering {:#x}-{:#x} of task {} with userfaultfd", t.start, t.end, tid_);
        t.registered = true;
        if (!(reg.ioctls & (1ull << _UFFDIO_COPY))) fail("userfaultfd offers no UFFDIO_COPY for {:#x}-{:#x}", t.start, t.end);
    }
}

UffdFiller::~UffdFiller() {
    try {
        unregister_all(false);
    } catch (...) {
    }
}

uint64_t UffdFiller::span_at(uint64_t addr, uint64_t len, bool& inside) const {
    auto it = std::upper_bound(targets_.begin(), targets_.end(), addr,
                               [](uint64_t a, const Range& r) { return a < r.start; });
    if (it != targets_.begin() && addr < std::prev(it)->end) {
        inside = true;
        return std::min(len, std::prev(it)->end - addr);
    }
    inside = false;
    return it == targets_.end() ? len : std::min(len, it->start - addr);
}

void UffdFiller::copy(uint64_t addr, std::span<const std::byte> data) {
    if (partial_len_ > 0) {
        if (addr != partial_addr_ + partial_len_)
            fail("memory contents for task {} jump to {:#x} inside the page at {:#x}", tid_, addr, partial_addr_);
        size_t n = std::min(data.size(), kPageSize - partial_len_);
        std::memcpy(partial_.data() + partial_len_, data.data(), n);
        partial_len_ += n;
        addr += n;
        data = data.subspan(n);
        if (partial_len_ < kPageSize) return;
        copy_pages(partial_addr_, partial_);
        partial_len_ = 0;
    }
    if (addr % kPageSize != 0) fail("memory contents for task {} start inside a page, at {:#x}", tid_, addr);
    size_t whole = data.size() - data.size() % kPageSize;
    copy_pages(addr, data.first(whole));
    if (whole < data.size()) {
        partial_addr_ = addr + whole;
        partial_len_ = data.size() - whole;
        std::memcpy(partial_.data(), data.data() + whole, partial_len_);
    }
}

void UffdFiller::copy_whole_pages(uint64_t addr, std::span<const std::byte> data) {
    if (addr % kPageSize != 0 || data.size() % kPageSize != 0)
        fail("memory contents for task {} at {:#x} ({} bytes) are not whole pages", tid_, addr, data.size());
    copy_pages(addr, data);
}

void UffdFiller::copy_pages(uint64_t addr, std::span<const std::byte> data) {
    int idle_retries = 0;
    while (!data.empty()) {
        uffdio_copy c{};
        c.dst = addr;
        c.src = reinterpret_cast<uint64_t>(data.data());
        c.len = data.size();
        int rc = uffd_ioctl(uffd_.get(), UFFDIO_COPY, &c);
        // A partial copy (EAGAIN while the mm changes) reports what it did in c.copy.
        int64_t done = c.copy > 0 ? c.copy : 0;
        if (rc < 0 && errno != EAGAIN)
            throw_errno("copying {} bytes of memory to {:#x} in task {}", data.size(), addr, tid_);
        if (rc == 0) done = static_cast<int64_t>(data.size());
        if (done == 0 && ++idle_retries > 100)
            fail("copying memory to {:#x} in task {} makes no progress (userfaultfd keeps saying EAGAIN)", addr, tid_);
        addr += static_cast<uint64_t>(done);
        data = data.subspan(static_cast<size_t>(done));
        copied_ += static_cast<uint64_t>(done);
    }
}

void UffdFiller::unregister_all(bool strict) {
    if (!uffd_) return;
    for (auto& t : targets_) {
        if (!t.registered) continue;
        uffdio_range range{t.start, t.end - t.start};
        if (uffd_ioctl(uffd_.get(), UFFDIO_UNREGISTER, &range) < 0 && strict)
            throw_errno("unregistering {:#x}-{:#x} of task {} from userfaultfd", t.start, t.end, tid_);
        t.registered = false;
    }
    uffd_.reset();
}

void UffdFiller::finish() {
    if (partial_len_ > 0) fail("memory contents for task {} end inside the page at {:#x}", tid_, partial_addr_);
    unregister_all(true);
}

}  // namespace myrt::cr
