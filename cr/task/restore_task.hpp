#pragma once
// Turning a fresh placeholder process (same pid, seized in restore mode) into
// the dumped process, entirely by injected syscalls and ptrace writes.
#include "cr/memory/dump_memory.hpp"
#include "cr/memory/pagemap.hpp"
#include "cr/memory/restore_memory.hpp"
#include "cr/ptrace/seize.hpp"
#include "cr/task/task_state.hpp"

namespace myrt::cr {

struct RestoreTimings {
    double address_space_ms = 0;  // unmap, vDSO, map, fill, protect
    double fill_ms = 0;           // of which: writing the contents
    double total_ms = 0;
    uint64_t bytes = 0;
    uint64_t copied_bytes = 0;  // of which placed by UFFDIO_COPY
};

// `fresh` must hold exactly one thread whose pid (in its innermost pid
// namespace) equals the dumped one. On return every thread (the extra ones
// created by injected clone3 set_tid are added to `fresh`) sits in a ptrace
// stop with its final registers and blocked mask; detaching lets them run.
// A process dumped in a group-stop gets SIGSTOP queued here, so it stops
// again as soon as it is detached (nothing may be injected after this).
// On failure the caller kills the process (EXITKILL does it if we die).
RestoreTimings restore_process(SeizedProcess& fresh, const ProcessState& state, PageSource& pages);
// The two halves of restore_process, for a restore that forks children from
// their restored parents (cow_shared.hpp): first the address space (without
// the final protections and madvise flags, so a fork in between inherits
// every range), then everything else. `inherited`: pages the process got
// from its parent by fork and keeps (ascending); their VMAs stay mapped.
struct RestoredAddressSpace {
    RestorerArea area;
    bool int3_stops = false;
    RestoreTimings timings;
};
RestoredAddressSpace restore_address_space(SeizedProcess& fresh, const ProcessState& state, PageSource& pages,
                                           const std::vector<PageRun>& inherited = {});
RestoreTimings restore_process_state(SeizedProcess& fresh, const ProcessState& state, const RestoredAddressSpace& as,
                                     PageSource& pages);
// The same with the pages kept in memory.
RestoreTimings restore_process(SeizedProcess& fresh, const ProcessState& state, const MemoryContents& memory);

}  // namespace myrt::cr
