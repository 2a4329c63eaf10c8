#pragma once
// POSIX timers (timer_create): dumped from /proc/PID/timers plus injected
// timer_gettime/timer_getoverrun, re-created by injection with the same
// kernel ids (PR_TIMER_CREATE_RESTORE_IDS) and the time they had left.
#include <string>
#include <vector>

#include "cr/ptrace/inject.hpp"
#include "cr/task/task_state.hpp"

namespace myrt::cr {

// The timers of a process from the text of /proc/PID/timers; `target` is
// still the id as the reader sees it (host pid or tid).
std::vector<PosixTimerRecord> parse_proc_timers(const std::string& text, pid_t pid);

// Fills ps.posix_timers; ps.threads and ps.core.ids must be filled (the
// target of a timer becomes the innermost pid-namespace id). Refuses timers
// that cannot be re-created (a CPU-time clock of another task).
void dump_posix_timers(pid_t pid, ProcessState& ps, Injector& inj, RemoteScratch& scratch);

// Re-creates the timers in the leader of a restored process once all its
// threads exist. `scratch` is 128 writable bytes in the task.
void restore_posix_timers(Injector& leader, uint64_t scratch, const ProcessState& ps);

// Checks an untrusted timer record; throws naming the field.
void check_posix_timer(const PosixTimerRecord& t);

}  // namespace myrt::cr
