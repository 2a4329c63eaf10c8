#pragma once
// Streaming a process's memory out: VMAs are walked in address order and the
// dumpable pages read with process_vm_readv into one bounded buffer (many
// remote runs per call); each contiguous run is handed to a callback. Memory
// is never staged whole, whatever the process size.
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "cr/memory/vma.hpp"

namespace myrt::cr {

// One contiguous range of pages inside one VMA, valid only during the call.
using ChunkSink = std::function<void(const Vma& vma, uint64_t addr, std::span<const std::byte> data)>;

struct MemoryDumpStats {
    uint64_t vmas = 0;
    uint64_t pages = 0;
    uint64_t chunks = 0;
    uint64_t readv_calls = 0;
};

MemoryDumpStats dump_memory(pid_t pid, const std::vector<Vma>& vmas, const ChunkSink& sink,
                            size_t buffer_bytes = 16u << 20);

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
