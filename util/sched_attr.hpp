#pragma once
// The kernel's struct sched_attr (uapi linux/sched/types.h, SCHED_ATTR_SIZE_VER1), for
// sched_setattr(2) and sched_getattr(2), which glibc 2.36 does not wrap. Used by the runtime
// (process.scheduler) and by checkpoint/restore (each thread's scheduling).
#include <cstdint>

namespace myrt {

struct SchedAttr {
    uint32_t size;
    uint32_t sched_policy;
    uint64_t sched_flags;
    int32_t sched_nice;
    uint32_t sched_priority;
    uint64_t sched_runtime;   // SCHED_DEADLINE, nanoseconds
    uint64_t sched_deadline;
    uint64_t sched_period;
    uint32_t sched_util_min;  // utilization clamps, used only with SCHED_FLAG_UTIL_CLAMP_*
    uint32_t sched_util_max;
};
static_assert(sizeof(SchedAttr) == 56);

}  // namespace myrt
