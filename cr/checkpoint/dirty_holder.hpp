#pragma once
// Where the dirty-tracking userfaultfds live between `checkpoint --pre-dump`
// and the next checkpoint of the container: in a small holder process
// (`myrt` re-executed as __dirty-holder), outside the container, which keeps
// our copies open and exits when the container's init does. The container's
// tasks hold no extra fd (their fd tables, and so their checkpoint, are
// untouched; a workload closing all its fds cannot end the tracking).
//
// The container's state directory keeps dirty-tracking.json: the holder's pid
// and start time, the image the tracking counts from (epoch), and per process
// its pid, start time, pid in the container and the holder's fd number. The
// next checkpoint takes copies of the fds with pidfd_getfd, under the
// container lock. Only the same processes of the same container instance
// count: a process that exec'd, a reused pid, or a restarted container starts
// with no tracking (its pages are all dumped).
#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "cr/driver/image_chain.hpp"
#include "runtime/container_state.hpp"
#include "util/fd.hpp"

namespace myrt::cr {

struct TrackedProcess {
    pid_t pid = 0;
    unsigned long long start_time = 0;
    int32_t ns_pid = 0;
    UniqueFd uffd;
};

struct DirtyTracking {
    std::optional<driver::ImageId> epoch;  // the image the pages count from; none after a failed pre-dump
    std::string epoch_image;               // its directory, for messages
    std::vector<TrackedProcess> processes;
    // The userfaultfd tracking `pid` (started at `start_time`), or -1.
    int uffd_for(pid_t pid, unsigned long long start_time) const;
};

// The tracking of container `st`, with our copies of its fds; nullopt when
// none is alive (no holder, or it belongs to an earlier run of the container).
// `note` says why, when there was a state file.
std::optional<DirtyTracking> adopt_dirty_tracking(const runtime::StateStore& store, const runtime::ContainerState& st,
                                                  std::string& note);
// Records that the pages no longer count from any image (about to be protected
// again by a pre-dump that may fail): the next checkpoint dumps every page.
void forget_tracking_epoch(const runtime::StateStore& store, const runtime::ContainerState& st);
// Hands `tracking` to a new holder and records it; the previous holder, if
// any, is stopped once the new one holds the fds.
void keep_dirty_tracking(const runtime::StateStore& store, const runtime::ContainerState& st,
                         const DirtyTracking& tracking);
// Stops the holder and removes the record; the userfaultfds close with the
// last copy, which unregisters the container's VMAs.
void end_dirty_tracking(const runtime::StateStore& store, const runtime::ContainerState& st);

// The holder's own main (argv[1] == kDirtyHolderCommand): fd 3 is a pidfd of
// the container's init; returns when it exits.
inline constexpr const char* kDirtyHolderCommand = "__dirty-holder";
int run_dirty_holder();

}  // namespace myrt::cr
