#include "cr/memory/dump_memory.hpp"

#include <sys/mman.h>
#include <sys/uio.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstring>

#include "cr/memory/cow_shared.hpp"
#include "cr/memory/pagemap.hpp"
#include "cr/transport/prefaulted.hpp"
#include "cr/ptrace/remote_memory.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"

namespace myrt::cr {
namespace {

using Clock = std::chrono::steady_clock;
uint64_t ns_since(Clock::time_point t) {
    return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t).count());
}

struct Pending {
    const Vma* vma;
    uint64_t addr;
    size_t offset;  // in the current buffer
    size_t len;
};

// Fills one buffer with as many remote runs as fit (one process_vm_readv),
// hands every run to the consumer and moves on to the next buffer, waiting
// only if the consumer still holds that one.
class BatchReader {
public:
    BatchReader(pid_t pid, DumpBuffers config, ChunkConsumer& consumer, MemoryDumpStats& stats)
        : pid_(pid), size_(config.bytes), consumer_(consumer), stats_(stats), tickets_(config.count, 0) {
        // Pre-faulted (huge pages when there are): a fresh heap buffer makes
        // process_vm_readv take a page fault per local page on the first pass.
        map_ = transport::map_prefaulted(config.bytes * config.count);
        if (!map_) throw_errno("mapping {} memory dump buffers of {} bytes", config.count, config.bytes);
    }

    // The consumer may still be reading our buffers: they must outlive that.
    ~BatchReader() {
        try {
            consumer_.wait_released(*std::max_element(tickets_.begin(), tickets_.end()));
        } catch (...) {
        }
    }
    BatchReader(const BatchReader&) = delete;
    BatchReader& operator=(const BatchReader&) = delete;

    void add(const Vma& vma, uint64_t addr, size_t len) {
        while (len > 0) {
            if (used_ == size_ || pending_.size() == IOV_MAX) flush();
            size_t take = std::min(len, size_ - used_);
            pending_.push_back({&vma, addr, used_, take});
            used_ += take;
            addr += take;
            len -= take;
        }
    }

    void flush() {
        if (pending_.empty()) return;
        auto waited = Clock::now();
        consumer_.wait_released(tickets_[current_]);
        stats_.wait_ns += ns_since(waited);
        tickets_[current_] = 0;
        std::byte* buf = static_cast<std::byte*>(map_.data()) + current_ * size_;
        remote_.clear();
        size_t total = 0;
        for (const auto& p : pending_) {
            remote_.push_back({reinterpret_cast<void*>(p.addr), p.len});
            total += p.len;
        }
        iovec local{buf, total};
        auto read = Clock::now();
        ssize_t n = ::process_vm_readv(pid_, &local, 1, remote_.data(), remote_.size(), 0);
        ++stats_.readv_calls;
        size_t got = n > 0 ? static_cast<size_t>(n) : 0;
        for (const auto& p : pending_) {
            // Whatever process_vm_readv could not read (an unreadable VMA or a
            // racing fault) is read through /proc/PID/mem, which forces access.
            if (p.offset + p.len > got) {
                size_t have = got > p.offset ? got - p.offset : 0;
                remote_read(pid_, p.addr + have, std::span(buf + p.offset + have, p.len - have));
            }
        }
        stats_.read_ns += ns_since(read);
        auto hand_off = Clock::now();
        for (const auto& p : pending_) {
            uint64_t t = consumer_.take(*p.vma, p.addr, std::span<const std::byte>(buf + p.offset, p.len));
            tickets_[current_] = std::max(tickets_[current_], t);
            ++stats_.chunks;
        }
        stats_.hand_off_ns += ns_since(hand_off);
        pending_.clear();
        used_ = 0;
        current_ = (current_ + 1) % tickets_.size();
    }

private:
    pid_t pid_;
    size_t size_;
    ChunkConsumer& consumer_;
    MemoryDumpStats& stats_;
    Mapping map_;
    std::vector<uint64_t> tickets_;  // per buffer: what the consumer must release before it is reused
    size_t current_ = 0;
    std::vector<Pending> pending_;
    std::vector<iovec> remote_;
    size_t used_ = 0;
};

class CallbackConsumer : public ChunkConsumer {
public:
    explicit CallbackConsumer(const ChunkSink& sink) : sink_(sink) {}
    uint64_t take(const Vma& vma, uint64_t addr, std::span<const std::byte> data) override {
        sink_(vma, addr, data);
        return 0;
    }
    void wait_released(uint64_t) override {}

private:
    const ChunkSink& sink_;
};

}  // namespace

std::vector<PageRun> dumpable_pages(pid_t pid, const std::vector<Vma>& vmas) {
    Pagemap pagemap(pid);
    std::vector<PageRun> all;
    for (const auto& vma : vmas) {
        auto runs = pagemap.dumpable_runs(vma);
        all.insert(all.end(), runs.begin(), runs.end());
    }
    return all;
}

MemoryDumpStats dump_page_runs(pid_t pid, const std::vector<Vma>& vmas, const std::vector<PageRun>& runs,
                               ChunkConsumer& consumer, DumpBuffers buffers) {
    if (buffers.bytes < kPageSize) fail("memory dump buffer of {} bytes is smaller than a page", buffers.bytes);
    if (buffers.count == 0) fail("memory dump of pid {} needs at least one buffer", pid);
    MemoryDumpStats stats;
    BatchReader reader(pid, buffers, consumer, stats);
    const Vma* last = nullptr;
    for (const auto& r : runs) {
        auto after = std::upper_bound(vmas.begin(), vmas.end(), r.start,
                                      [](uint64_t a, const Vma& v) { return a < v.rec.start; });
        if (after == vmas.begin() || r.start + r.npages * kPageSize > std::prev(after)->rec.end)
            fail("pages {:#x}+{} of pid {} to dump lie outside its VMAs", r.start, r.npages, pid);
        const Vma& vma = *std::prev(after);
        if (&vma != last) ++stats.vmas;
        last = &vma;
        reader.add(vma, r.start, r.npages * kPageSize);
        stats.pages += r.npages;
    }
    reader.flush();
    return stats;
}

MemoryDumpStats dump_memory(pid_t pid, const std::vector<Vma>& vmas, ChunkConsumer& consumer, DumpBuffers buffers,
                            const std::vector<PageRun>& skip) {
    auto runs = dumpable_pages(pid, vmas);
    if (!skip.empty()) runs = subtract_runs(runs, skip);
    return dump_page_runs(pid, vmas, runs, consumer, buffers);
}

MemoryDumpStats dump_memory(pid_t pid, const std::vector<Vma>& vmas, const ChunkSink& sink, size_t buffer_bytes) {
    CallbackConsumer consumer(sink);
    return dump_memory(pid, vmas, consumer, DumpBuffers{buffer_bytes, 1});
}

MemoryDumpStats& MemoryDumpStats::operator+=(const MemoryDumpStats& o) {
    vmas += o.vmas;
    pages += o.pages;
    chunks += o.chunks;
    readv_calls += o.readv_calls;
    pagemap_ns += o.pagemap_ns;
    read_ns += o.read_ns;
    hand_off_ns += o.hand_off_ns;
    wait_ns += o.wait_ns;
    return *this;
}

DumpBuffers dump_buffers_for(uint64_t mapped_bytes) {
    DumpBuffers b;
    uint64_t total = std::clamp<uint64_t>(mapped_bytes, 256u << 10, uint64_t{b.bytes} * b.count);
    b.bytes = static_cast<size_t>((total / b.count + kPageSize - 1) / kPageSize * kPageSize);
    return b;
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
