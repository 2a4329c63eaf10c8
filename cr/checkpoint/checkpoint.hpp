#pragma once
// `myrt checkpoint`: the whole-container dump. Freeze the cgroup (or find it
// paused), seize every task, check for leaks, stream the image, then kill the
// container or let it run on. Any failure leaves the container exactly as it
// was (thawed or still paused, untraced) and no complete-looking image.
#include "cr/memory/dump_memory.hpp"
#include <string>

#include "runtime/container_state.hpp"

namespace myrt::cr {

struct CheckpointOptions {
    std::string id;
    std::string image_path = "checkpoint";  // created if missing; myrt.img, inventory.img
    std::string work_path;                  // dump.log, stats-dump; "" = image_path
    bool ext_unix_sk = false;               // cr/net: --ext-unix-sk, unix sockets with a peer outside are dumped
    bool tcp_established = false;           // cr/net: --tcp-established, established TCP connections through TCP_REPAIR
    bool leave_running = false;
    bool shell_job = false;                 // cr/tty: --shell-job, the container's stdio may be the caller's terminal
    bool file_locks = false;                // --file-locks: save held file locks (else a held lock fails)
    bool pre_dump = false;                  // --pre-dump: memory only, the container runs on, dirty tracking starts
    std::string parent_path;                // --parent-path: "../NAME", the last pre-dump; only pages written since
};

struct CheckpointReport {
    // Phases in order (dump.log's "phases" line, stats-dump): before the
    // freeze (namespaces, image opened), the freeze, the seize, everything
    // else the tasks are asked or /proc says (maps, fds, state), the
    // copy-on-write scan, memory (memdump_ms: pages chosen, read, written),
    // the image finished (writes drained, fsync) and, after the frozen
    // window, the tasks resumed or killed.
    double prepare_ms = 0;
    double freeze_ms = 0;
    double seize_ms = 0;
    double state_ms = 0;
    double cow_ms = 0;
    double memdump_ms = 0;      // reading and writing memory pages
    double finish_ms = 0;
    double release_ms = 0;
    double frozen_ms = 0;       // from freeze until the image was complete (the tasks then resume or die)
    double total_ms = 0;
    MemoryDumpStats memory;
    uint64_t processes = 0;
    uint64_t threads = 0;
    uint64_t pages = 0;
    uint64_t image_bytes = 0;
};

CheckpointReport checkpoint_container(const runtime::StateStore& store, const CheckpointOptions& opts);
// The --pre-dump half (pre_dump.cpp); checkpoint_container calls it for opts.pre_dump.
CheckpointReport pre_dump_container(const runtime::StateStore& store, const CheckpointOptions& opts);

}  // namespace myrt::cr
