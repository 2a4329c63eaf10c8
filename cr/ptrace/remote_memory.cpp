#include "cr/ptrace/remote_memory.hpp"

#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#include "util/error.hpp"
#include "util/fd.hpp"

namespace myrt::cr {
namespace {

void proc_mem_io(pid_t pid, uint64_t addr, std::byte* buf, size_t len, bool write) {
    std::string path = fmt::format("/proc/{}/mem", pid);
    UniqueFd fd(::open(path.c_str(), (write ? O_RDWR : O_RDONLY) | O_CLOEXEC));
    if (!fd) throw_errno("cannot open {}", path);
    size_t done = 0;
    while (done < len) {
        ssize_t n = write ? ::pwrite(fd.get(), buf + done, len - done, static_cast<off_t>(addr + done))
                          : ::pread(fd.get(), buf + done, len - done, static_cast<off_t>(addr + done));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0)
            throw_errno("{} {} bytes at {:#x} of process {} through {}", write ? "writing" : "reading",
                        len - done, addr + done, pid, path);
        done += static_cast<size_t>(n);
    }
}

}  // namespace

void remote_read(pid_t pid, uint64_t addr, std::span<std::byte> out) {
    size_t done = 0;
    while (done < out.size()) {
        iovec local{out.data() + done, out.size() - done};
        iovec remote{reinterpret_cast<void*>(addr + done), out.size() - done};
        ssize_t n = ::process_vm_readv(pid, &local, 1, &remote, 1, 0);
        if (n <= 0) break;
        done += static_cast<size_t>(n);
    }
    if (done < out.size()) proc_mem_io(pid, addr + done, out.data() + done, out.size() - done, false);
}

void remote_write(pid_t pid, uint64_t addr, std::span<const std::byte> in) {
    size_t done = 0;
    while (done < in.size()) {
        iovec local{const_cast<std::byte*>(in.data()) + done, in.size() - done};
        iovec remote{reinterpret_cast<void*>(addr + done), in.size() - done};
        ssize_t n = ::process_vm_writev(pid, &local, 1, &remote, 1, 0);
        if (n <= 0) break;
        done += static_cast<size_t>(n);
    }
    if (done < in.size())
        proc_mem_io(pid, addr + done, const_cast<std::byte*>(in.data()) + done, in.size() - done, true);
}

}  // namespace myrt::cr
