#include "cr/memory/dump_memory.hpp"

#include <sys/mman.h>
#include <sys/uio.h>

#include <climits>
#include <cstring>

#include "cr/memory/pagemap.hpp"
#include "cr/ptrace/remote_memory.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"

namespace myrt::cr {
namespace {

struct Pending {
    const Vma* vma;
    uint64_t addr;
    size_t offset;  // in the local buffer
    size_t len;
};

class BatchReader {
public:
    BatchReader(pid_t pid, size_t cap, const ChunkSink& sink, MemoryDumpStats& stats)
        : pid_(pid), sink_(sink), stats_(stats) {
        // A pre-faulted mapping: a fresh heap buffer makes process_vm_readv
        // take a page fault per local page on the first pass.
        void* m = ::mmap(nullptr, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
        if (m == MAP_FAILED) throw_errno("mapping a {}-byte memory dump buffer", cap);
        map_ = Mapping(m, cap);
        buf_ = std::span(static_cast<std::byte*>(m), cap);
    }

    void add(const Vma& vma, uint64_t addr, size_t len) {
        while (len > 0) {
            if (used_ == buf_.size() || pending_.size() == IOV_MAX) flush();
            size_t take = std::min(len, buf_.size() - used_);
            pending_.push_back({&vma, addr, used_, take});
            used_ += take;
            addr += take;
            len -= take;
        }
    }

    void flush() {
        if (pending_.empty()) return;
        std::vector<iovec> remote;
        remote.reserve(pending_.size());
        size_t total = 0;
        for (const auto& p : pending_) {
            remote.push_back({reinterpret_cast<void*>(p.addr), p.len});
            total += p.len;
        }
        iovec local{buf_.data(), total};
        ssize_t n = ::process_vm_readv(pid_, &local, 1, remote.data(), remote.size(), 0);
        ++stats_.readv_calls;
        size_t got = n > 0 ? static_cast<size_t>(n) : 0;
        for (const auto& p : pending_) {
            // Whatever process_vm_readv could not read (an unreadable VMA or a
            // racing fault) is read through /proc/PID/mem, which forces access.
            if (p.offset + p.len > got) {
                size_t have = got > p.offset ? got - p.offset : 0;
                remote_read(pid_, p.addr + have, std::span(buf_.data() + p.offset + have, p.len - have));
            }
            sink_(*p.vma, p.addr, std::span<const std::byte>(buf_.data() + p.offset, p.len));
            ++stats_.chunks;
        }
        pending_.clear();
        used_ = 0;
    }

private:
    pid_t pid_;
    Mapping map_;
    std::span<std::byte> buf_;
    const ChunkSink& sink_;
    MemoryDumpStats& stats_;
    std::vector<Pending> pending_;
    size_t used_ = 0;
};

}  // namespace

MemoryDumpStats dump_memory(pid_t pid, const std::vector<Vma>& vmas, const ChunkSink& sink, size_t buffer_bytes) {
    if (buffer_bytes < kPageSize) fail("memory dump buffer of {} bytes is smaller than a page", buffer_bytes);
    MemoryDumpStats stats;
    Pagemap pagemap(pid);
    BatchReader reader(pid, buffer_bytes, sink, stats);
    for (const auto& vma : vmas) {
        auto runs = pagemap.dumpable_runs(vma);
        if (runs.empty()) continue;
        ++stats.vmas;
        for (const auto& r : runs) {
            reader.add(vma, r.start, r.npages * kPageSize);
            stats.pages += r.npages;
        }
    }
    reader.flush();
    return stats;
}

uint64_t MemoryContents::bytes() const {
    uint64_t n = 0;
    for (const auto& c : chunks) n += c.data.size();
    return n;
}

ChunkSink MemoryContents::sink() {
    return [this](const Vma&, uint64_t addr, std::span<const std::byte> data) {
        chunks.push_back({addr, std::vector<std::byte>(data.begin(), data.end())});
    };
}

}  // namespace myrt::cr
