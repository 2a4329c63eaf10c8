#pragma once
// Streaming a process's memory out: VMAs are walked in address order and the
// dumpable pages read with process_vm_readv into a few bounded buffers (many
// remote runs per call); each contiguous run is handed to a consumer. A
// consumer may keep a buffer (an io_uring write in flight) while the next one
// is read, so reading and writing overlap. Memory is never staged whole,
// whatever the process size.
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "cr/image/record_writer.hpp"
#include "cr/memory/pagemap.hpp"
#include "cr/memory/vma.hpp"

namespace myrt::cr {

// One contiguous range of pages inside one VMA, valid only during the call.
using ChunkSink = std::function<void(const Vma& vma, uint64_t addr, std::span<const std::byte> data)>;

// A consumer that may go on reading a chunk after take() returns: the chunk's
// bytes stay untouched until wait_released() of the ticket take() returned (or
// of a later one). Ticket 0: the chunk was consumed during the call.
class ChunkConsumer {
public:
    virtual ~ChunkConsumer() = default;
    virtual uint64_t take(const Vma& vma, uint64_t addr, std::span<const std::byte> data) = 0;
    virtual void wait_released(uint64_t ticket) = 0;
};

struct MemoryDumpStats {
    uint64_t vmas = 0;
    uint64_t pages = 0;
    uint64_t chunks = 0;
    uint64_t readv_calls = 0;
    // Where the time went (nanoseconds): choosing pages from pagemap, copying
    // them out of the task, handing them to the consumer (a checksum and a
    // submitted write for an image), waiting for it to give a buffer back.
    uint64_t pagemap_ns = 0;
    uint64_t read_ns = 0;
    uint64_t hand_off_ns = 0;
    uint64_t wait_ns = 0;
    MemoryDumpStats& operator+=(const MemoryDumpStats& o);
};

// The read buffers: `count` buffers of `bytes` each (pre-faulted).
struct DumpBuffers {
    size_t bytes = 4u << 20;
    unsigned count = 4;
};

// `skip`: pages not to dump (ascending), the ones a process shares with its parent (cow_shared.hpp).
MemoryDumpStats dump_memory(pid_t pid, const std::vector<Vma>& vmas, ChunkConsumer& consumer, DumpBuffers buffers,
                            const std::vector<PageRun>& skip = {});

// Every page of `vmas` whose contents a dump needs (Pagemap::dumpable_runs), ascending.
std::vector<PageRun> dumpable_pages(pid_t pid, const std::vector<Vma>& vmas);

// Dumps exactly `runs` (ascending, each inside one VMA of `vmas`): which
// pages to dump is chosen by the caller (page_plan.hpp), how they are read
// and handed on is this file's.
MemoryDumpStats dump_page_runs(pid_t pid, const std::vector<Vma>& vmas, const std::vector<PageRun>& runs,
                               ChunkConsumer& consumer, DumpBuffers buffers);

// With a consumer that is done with each chunk when the callback returns (one buffer).
MemoryDumpStats dump_memory(pid_t pid, const std::vector<Vma>& vmas, const ChunkSink& sink,
                            size_t buffer_bytes = 16u << 20);

// PAGES records into `writer` (objref on each), pipelined: at most
// buffers.count * buffers.bytes of the process is held at a time.
// (Inline: the image library is linked by the caller, not by this one.)
class PagesConsumer : public ChunkConsumer {
public:
    PagesConsumer(image::RecordWriter& writer, uint64_t objref) : writer_(writer), objref_(objref) {}
    uint64_t take(const Vma&, uint64_t addr, std::span<const std::byte> data) override {
        return writer_.write_pages_borrowed(addr, 12, data, objref_);
    }
    void wait_released(uint64_t ticket) override { writer_.wait_released(ticket); }

private:
    image::RecordWriter& writer_;
    uint64_t objref_;
};
inline MemoryDumpStats dump_memory_to_image(pid_t pid, const std::vector<Vma>& vmas, image::RecordWriter& writer,
                                            uint64_t objref, DumpBuffers buffers, const std::vector<PageRun>& skip = {}) {
    PagesConsumer consumer(writer, objref);
    return dump_memory(pid, vmas, consumer, buffers, skip);
}
inline MemoryDumpStats dump_runs_to_image(pid_t pid, const std::vector<Vma>& vmas, const std::vector<PageRun>& runs,
                                          image::RecordWriter& writer, uint64_t objref, DumpBuffers buffers) {
    PagesConsumer consumer(writer, objref);
    return dump_page_runs(pid, vmas, runs, consumer, buffers);
}

// The buffers for a process that maps `mapped_bytes` (not special): a small
// process gets small ones, as they are pre-faulted.
DumpBuffers dump_buffers_for(uint64_t mapped_bytes);

// A simple in-memory store of dumped chunks (tests, small processes).
struct StoredChunk {
    uint64_t addr;
    std::vector<std::byte> data;
};
struct MemoryContents {
    std::vector<StoredChunk> chunks;  // ascending addresses
    uint64_t bytes() const;
    ChunkSink sink();
};

}  // namespace myrt::cr
