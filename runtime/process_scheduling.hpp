#pragma once
// Where and how the container's processes are scheduled: process.scheduler (sched_setattr),
// process.ioPriority (ioprio_set) and process.execCPUAffinity, for the init and for exec'd
// processes alike.
#include "spec/config.hpp"

namespace myrt::runtime {

// Before the process joins the container's cgroup: the initial CPU list, or else every CPU, so
// that the runtime's own affinity (`taskset -c 0 myrt run`) does not leak into the container;
// joining a cpuset cgroup then narrows it to that cpuset, as the kernel does on attach.
void apply_initial_cpu_affinity(const spec::Process& p);
// After it joined: the final CPU list, if given.
void apply_final_cpu_affinity(const spec::Process& p);

// Both run as the process, still root and with its capabilities, before its user is set.
void apply_io_priority(const spec::IoPriority& io);
void apply_scheduler(const spec::Scheduler& s);

}  // namespace myrt::runtime
