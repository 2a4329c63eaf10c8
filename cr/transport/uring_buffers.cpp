#include "cr/transport/uring_buffers.hpp"

#include <sys/mman.h>
#include <sys/uio.h>

#include "cr/transport/prefaulted.hpp"
#include "util/error.hpp"

namespace myrt::cr::transport {

Mapping register_stream_buffers(io_uring& ring, unsigned count, size_t size, std::vector<int>& free_list,
                                const std::string& name) {
    size_t total = size * count;
    // Registering pins (and so faults in) every page: let that be a few huge pages.
    Mapping buffers = map_prefaulted(total);
    if (!buffers) {
        int e = errno;
        io_uring_queue_exit(&ring);
        throw SystemError(e, fmt::format("allocating {} bytes of stream buffers for {}", total, name));
    }
    void* mem = buffers.data();
    std::vector<iovec> iov(count);
    for (unsigned i = 0; i < count; ++i) {
        iov[i].iov_base = static_cast<char*>(mem) + i * size;
        iov[i].iov_len = size;
        free_list.push_back(static_cast<int>(count - 1 - i));
    }
    int rc = io_uring_register_buffers(&ring, iov.data(), count);
    if (rc < 0) {
        io_uring_queue_exit(&ring);
        throw SystemError(-rc, fmt::format("registering io_uring buffers for {}", name));
    }
    return buffers;
}

}  // namespace myrt::cr::transport
