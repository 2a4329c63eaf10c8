#pragma once
// Stream and dump buffers, faulted in before use. On this kind of VM a 4 KiB
// first touch costs about 3.5 ms per MiB (bench/cr_floor.c "fill_4k"), so a
// 16 MiB buffer faulted page by page adds tens of ms to every checkpoint; with
// 2 MiB pages (when the kernel has free ones) it costs almost nothing.
#include <sys/mman.h>

#include <cerrno>
#include <cstdint>

#include "util/error.hpp"
#include "util/fd.hpp"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

namespace myrt::cr::transport {

// `len` bytes of private anonymous memory, every page present; aligned to 2 MiB
// and advised MADV_HUGEPAGE from 2 MiB up. errno is set on failure (empty mapping).
inline Mapping map_prefaulted(size_t len) {
    constexpr size_t huge = size_t{2} << 20;
    if (len < huge) {
        void* m = ::mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
        return m == MAP_FAILED ? Mapping() : Mapping(m, len);
    }
    len = (len + huge - 1) / huge * huge;
    void* raw = ::mmap(nullptr, len + huge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) return Mapping();
    auto start = reinterpret_cast<uintptr_t>(raw);
    uintptr_t aligned = (start + huge - 1) & ~(huge - 1);
    if (aligned > start) ::munmap(raw, aligned - start);
    if (start + huge > aligned) ::munmap(reinterpret_cast<void*>(aligned + len), start + huge - aligned);
    Mapping m(reinterpret_cast<void*>(aligned), len);
    ::madvise(m.data(), len, MADV_HUGEPAGE);  // advice only: 4 KiB pages if it is refused
    if (::madvise(m.data(), len, MADV_POPULATE_WRITE) != 0) {
        int e = errno;
        if (e != EINVAL) {  // EINVAL: a kernel without it; the first use faults instead
            errno = e;
            return Mapping();
        }
    }
    return m;
}

}  // namespace myrt::cr::transport
