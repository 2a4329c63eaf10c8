#pragma once
// A process tree (subtree mode): every process dumped in parent-before-child
// order, and recreated with the same pids, parents, sessions and groups.
#include <signal.h>

#include <vector>

#include "cr/memory/dump_memory.hpp"
#include "cr/ptrace/seize.hpp"
#include "cr/task/restore_task.hpp"
#include "cr/task/task_state.hpp"

namespace myrt::cr {

struct ProcessImage {
    ProcessState state;
    MemoryContents memory;
};

// Dumps every process of a seized tree (root first, parents before children).
// A child of `parent` with pid `ns_pid` in the parent's pid namespace: clone3
// with set_tid injected into the parent, so parentage is the dumped one. The
// child is returned seized and stopped.
pid_t fork_child(SeizedProcess& parent, int32_t ns_pid, int exit_signal = SIGCHLD);

std::vector<ProcessImage> dump_tree(SeizedTree& tree);

// `root` is the placeholder for images[0], seized in restore mode. Children
// are forked from their parent's placeholder (clone3 set_tid) before any
// address space is rebuilt, then sessions and groups are made (setsid for
// session leaders, then setpgid, group leaders first), then every process is
// restored. Returned processes (root first) are stopped, ready to detach.
std::vector<SeizedProcess> restore_tree(SeizedProcess root, const std::vector<ProcessImage>& images);

}  // namespace myrt::cr
