#pragma once
// The bounded set of stream buffers a reader or writer owns: one anonymous
// mapping cut into equal buffers, registered with the ring as fixed buffers so
// the kernel does not pin and unpin them on every operation.
#include <liburing.h>

#include <string>
#include <vector>

#include "util/fd.hpp"

namespace myrt::cr::transport {

// Maps count * size bytes, registers them with `ring` (which is torn down on
// failure), and fills `free_list` with every index, lowest last (taken first).
Mapping register_stream_buffers(io_uring& ring, unsigned count, size_t size, std::vector<int>& free_list,
                                const std::string& name);

}  // namespace myrt::cr::transport
