#pragma once
// Holds a container still while it is seized (checkpoint and pre-dump).
#include <string>

#include "cr/driver/work_log.hpp"
#include "runtime/cgroup/cgroup.hpp"

namespace myrt::cr {

// Holds the container still while it is seized. The v2 freezer is used even
// when v1 is mounted: a task frozen by v1 cannot enter a ptrace stop (seizing
// it hangs), a task frozen by v2 can. A container paused through v1 is handed
// over to v2 first, and is left frozen by v2 afterwards (still "paused").
class FreezeGuard {
public:
    FreezeGuard(cgroup::Cgroup& cg, WorkLog& log);
    bool was_paused() const { return was_paused_; }
    // The tasks are ptrace-stopped now: let the cgroup run so injected
    // syscalls can execute. A paused container is frozen again by finish().
    void thaw_for_dump() {
        cg_.thaw();
        frozen_ = false;
    }
    // Back to how the container was found.
    void finish() noexcept;
    // The container is gone (killed): nothing to give back.
    void release() noexcept {
        was_paused_ = false;
        frozen_ = false;
    }
    ~FreezeGuard() { finish(); }

private:
    cgroup::Cgroup& cg_;
    WorkLog& log_;
    bool was_paused_ = false;
    bool frozen_ = false;
};

}  // namespace myrt::cr
