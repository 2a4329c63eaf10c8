#pragma once
// Scheduling (per thread), oom_score_adj, THP disable and loginuid: state the
// kernel keeps beside a task and shows or sets without its memory
// (docs/cr-process.md, "Scheduling, OOM score and THP").
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>

#include "cr/ptrace/seize.hpp"
#include "cr/task/task_state.hpp"

namespace myrt::cr {

// Fills ps.tuning and ps.thread_sched (one per ps.threads) from /proc and
// sched_getattr; THP from an injected prctl is read by the caller.
void dump_tuning(pid_t pid, ProcessState& ps);

// Applies the image's scheduling to every thread and its oom_score_adj to
// the process, from the restorer. A thread is given a policy or nice value
// only as far as its restored credentials or rlimits allow it to set them
// itself (CAP_SYS_NICE, RLIMIT_NICE, RLIMIT_RTPRIO), otherwise the restore
// fails naming it; oom_score_adj never goes below the restored container's
// floor (what create set from the bundle), `log` says when it is held there.
void restore_tuning(SeizedProcess& proc, const ProcessState& st, const std::function<void(const std::string&)>& log);

}  // namespace myrt::cr
