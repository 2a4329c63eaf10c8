#pragma once
// The process tree of a container image, rebuilt inside the parked pid 1
// with memory streamed from the image (task/tree.cpp's restore_tree keeps
// every page in memory; a container image may hold gigabytes).
#include <functional>
#include <vector>

#include "cr/image/record_reader.hpp"
#include "cr/ptrace/seize.hpp"
#include "cr/restore/image_index.hpp"

namespace myrt::cr {

struct TreeRestoreTimings {
    double forking_ms = 0;
    double restore_ms = 0;
    uint64_t bytes = 0;
    uint64_t copied_bytes = 0;  // of which placed by UFFDIO_COPY
};

// `reader` stands just after the last process section (second pass over the
// image); it is read up to TAIL. `image_fd` is the same image opened for
// pread (-1: none), from which page contents are filled on two threads. Returned processes (root first) are stopped,
// ready to detach. On failure every process made here is killed and reaped.
// `before_state(i, proc)` runs for every process once the whole tree exists
// and before its address space is rebuilt (the files layer installs fds there).
// `session_made(proc, sid)` runs in each session leader of the image as soon
// as its session exists, before any member is forked (the root first, when
// it leads one): a controlling terminal set there is inherited by them.
std::vector<SeizedProcess> restore_tree_streamed(SeizedProcess root, const ImageIndex& idx,
                                                 image::RecordReader& reader, int image_fd, TreeRestoreTimings& timings,
                                                 const std::function<void(size_t, SeizedProcess&)>& before_state,
                                                 const std::function<void(SeizedProcess&, int32_t)>& session_made = {});

}  // namespace myrt::cr
