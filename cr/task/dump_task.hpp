#pragma once
// Dumping everything about a seized process except its memory contents.
#include "cr/ptrace/seize.hpp"
#include "cr/task/task_state.hpp"

namespace myrt::cr {

// Reads /proc, ptrace state and, by injected syscalls, what only the task can
// tell (handlers, altstacks, securebits, timers, brk). The injection scratch
// area is unmapped again before the VMAs are read, so `vmas` is the task's
// own layout. Registers are stored normalized (see normalize_interrupted_syscall).
// Memory is read through proc.live_tid() (a zombie leader has no mm).
ProcessState dump_process_state(SeizedProcess& proc);

}  // namespace myrt::cr
