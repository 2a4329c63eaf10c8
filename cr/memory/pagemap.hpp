#pragma once
// Which pages of a VMA hold data a restore needs, from /proc/PID/pagemap
// (bit 63 present, 62 swapped, 61 file-backed or shared-anonymous page).
#include <sys/types.h>

#include <cstdint>
#include <vector>

#include "cr/memory/vma.hpp"
#include "util/fd.hpp"

namespace myrt::cr {

constexpr uint64_t kPageSize = 4096;

struct PageRun {
    uint64_t start;   // address of the first page
    uint64_t npages;  // contiguous pages that need their contents dumped
};

// Private anonymous memory (heap, stack too): present or swapped pages.
// Private file mappings: only pages copied on write (present and not
// file-backed) or swapped; the rest comes back from the file.
// Shared anonymous: present or swapped (shmem has no file to come back from).
// Shared file mappings and special mappings: nothing (the file or the kernel holds them).
bool vma_may_need_contents(const Vma& vma);

class Pagemap {
public:
    explicit Pagemap(pid_t pid);
    std::vector<PageRun> dumpable_runs(const Vma& vma);

private:
    pid_t pid_;
    UniqueFd fd_;
    std::vector<uint64_t> buf_;
};

}  // namespace myrt::cr
