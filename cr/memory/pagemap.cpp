#include "cr/memory/pagemap.hpp"

#include <fcntl.h>
#include <unistd.h>

#include "util/error.hpp"

namespace myrt::cr {
namespace {
constexpr uint64_t kPresent = 1ull << 63;
constexpr uint64_t kSwapped = 1ull << 62;
constexpr uint64_t kFileOrShared = 1ull << 61;
constexpr size_t kEntriesPerRead = 65536;  // 512 KiB of entries covers 256 MiB
}  // namespace

bool vma_may_need_contents(const Vma& vma) {
    if (vma.is_special()) return false;
    if (vma.rec.kind == VmaKind::sysv_shm) return false;  // cr/ipc dumps the segment once, in the IPC section
    if (vma.rec.vm_flags & (vm_io | vm_pfnmap)) return false;
    if (vma.is_file() && vma.rec.shared) return false;
    return true;
}

Pagemap::Pagemap(pid_t pid) : pid_(pid), buf_(kEntriesPerRead) {
    std::string path = fmt::format("/proc/{}/pagemap", pid);
    fd_ = UniqueFd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd_) throw_errno("cannot open {}", path);
}

std::vector<PageRun> Pagemap::dumpable_runs(const Vma& vma) {
    std::vector<PageRun> runs;
    if (!vma_may_need_contents(vma)) return runs;
    const bool private_file = vma.is_file() && !vma.rec.shared;
    uint64_t page = vma.rec.start / kPageSize;
    const uint64_t last = vma.rec.end / kPageSize;
    while (page < last) {
        size_t want = static_cast<size_t>(std::min<uint64_t>(last - page, kEntriesPerRead));
        ssize_t n = ::pread(fd_.get(), buf_.data(), want * 8, static_cast<off_t>(page * 8));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) throw_errno("reading /proc/{}/pagemap at page {:#x}", pid_, page * kPageSize);
        size_t got = static_cast<size_t>(n) / 8;
        for (size_t i = 0; i < got; ++i) {
            uint64_t e = buf_[i];
            bool keep = (e & kSwapped) || ((e & kPresent) && !(private_file && (e & kFileOrShared)));
            if (!keep) continue;
            uint64_t addr = (page + i) * kPageSize;
            if (!runs.empty() && runs.back().start + runs.back().npages * kPageSize == addr)
                ++runs.back().npages;
            else
                runs.push_back({addr, 1});
        }
        page += got;
    }
    return runs;
}

}  // namespace myrt::cr
