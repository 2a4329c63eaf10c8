#pragma once
// Unreaped children (zombies) and the short-lived tasks a restore needs to
// rebuild process groups and sessions whose leader is gone
// (docs/cr-process.md, "Zombies and ids without a leader").
#include <sys/types.h>

#include <cstdint>

#include "cr/ptrace/seize.hpp"
#include "cr/task/task_state.hpp"

namespace myrt::cr {

// The zombie child `pid` of process `parent`, read from /proc. A zombie
// whose status says it dumped core is refused by name: the restore cannot
// make a core dump happen again.
ZombieRecord dump_zombie(pid_t pid, pid_t parent);
// A zombie record from an image: ids positive, a wait status that an exit
// or a terminating signal (without core) gives, a valid exit signal.
void check_zombie(const ZombieRecord& z, int32_t parent_pid);

// `child` is a fresh, seized and stopped fork (fork_child) standing for `z`:
// it exits with z's status (exit_group, or the signal with its default
// action), and the tracer's wait turns it into its parent's zombie.
void make_zombie_exit(pid_t child, const ZombieRecord& z);
// Kills a placeholder that held a group or session id (SIGKILL), waits for
// it as its tracer; its parent still has to reap it (reap_child).
void end_id_holder(pid_t child);
// Injected into `parent`: wait4(ns_pid, __WALL) (the child's pid as the
// parent sees it), so no zombie of the restore remains.
void reap_child(SeizedProcess& parent, int32_t ns_pid);
// Injected into `parent`: takes the signals its restored-by-us children
// queued when they exited (`sigs`, a mask of signal bits) out of its pending set,
// so only the image's pending signals remain.
void drop_child_signals(SeizedProcess& parent, uint64_t sigs);

}  // namespace myrt::cr
