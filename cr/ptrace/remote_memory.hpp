#pragma once
// Reading and writing another process's memory. process_vm_readv/writev are
// the fast path but honour the page protections (no FOLL_FORCE); /proc/PID/mem
// is the fallback for pages the task cannot read or write itself.
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <span>

namespace myrt::cr {

// Reads exactly out.size() bytes at addr; throws naming the range on failure.
void remote_read(pid_t pid, uint64_t addr, std::span<std::byte> out);
// Writes exactly in.size() bytes at addr; throws naming the range on failure.
void remote_write(pid_t pid, uint64_t addr, std::span<const std::byte> in);

template <class T>
T remote_read_value(pid_t pid, uint64_t addr) {
    T v{};
    remote_read(pid, addr, std::as_writable_bytes(std::span<T, 1>(&v, 1)));
    return v;
}
template <class T>
void remote_write_value(pid_t pid, uint64_t addr, const T& v) {
    remote_write(pid, addr, std::as_bytes(std::span<const T, 1>(&v, 1)));
}

}  // namespace myrt::cr
