#pragma once
// OOM kills in a container's cgroup as they happen, for `events`: v1 through
// memory.oom_control registered on cgroup.event_control (an eventfd that
// counts them), v2 through inotify on memory.events (its oom_kill counter).
#include <cstdint>
#include <string>

#include "util/fd.hpp"

namespace myrt::cgroup {

class Cgroup;

class OomWatch {
public:
    // Refuses by name when the cgroup has no memory controller to watch.
    explicit OomWatch(const Cgroup& cg);
    int fd() const { return fd_.get(); }  // readable when something may have happened
    uint64_t take();                      // OOM kills since the last call (0 on a spurious wake)

private:
    UniqueFd fd_, control_;  // control_: v1's memory.oom_control, held for the registration
    std::string dir_;                                // the cgroup's memory directory
    const char* counter_file_ = "memory.oom_control";  // v2: memory.events
    uint64_t seen_ = 0;                               // oom_kill when last looked
};

}  // namespace myrt::cgroup
