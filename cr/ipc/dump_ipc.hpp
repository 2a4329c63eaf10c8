#pragma once
// Checkpoint of a container's IPC namespace as a whole (seed 000, two steps):
// every SysV segment, message queue and semaphore set, and every POSIX
// queue, with contents, goes into the image before the processes; the VMAs
// that map a segment then carry only its shmid (VmaKind::sysv_shm).
#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "cr/image/record_writer.hpp"

namespace myrt::cr::ipc {

struct IpcDumpStats {
    uint32_t shm = 0, msq = 0, sem = 0, mq = 0;
    uint64_t shm_bytes = 0;   // segment contents written (zero pages are skipped)
    uint64_t messages = 0;    // SysV and POSIX messages
};

using LogLine = std::function<void(const std::string&)>;

// Checks before anything is written, with the container frozen: every
// segment a task maps is in the namespace and mapped whole; no process
// outside the container has a segment attached (leak); nothing is of a kind
// the restore cannot rebuild (hugetlb segments, POSIX queues with a
// notification registered). `pids` are the container's processes.
// A container sharing myrt's IPC namespace (`own_ns` false) may not map
// SysV segments: its objects are the host's.
struct IpcCheckInput {
    pid_t init = 0;
    std::vector<pid_t> pids;
    bool own_ns = true;
};
// Dumps the namespace (nothing when !own_ns, after checking no task maps a
// segment). Throws with the object and pid named when something cannot be
// checkpointed; the container is untouched then.
IpcDumpStats dump_ipc_namespace(const IpcCheckInput& in, image::RecordWriter& writer, const LogLine& log);

}  // namespace myrt::cr::ipc
