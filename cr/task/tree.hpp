#pragma once
// A process tree (subtree mode): every process dumped in parent-before-child
// order, and recreated with the same pids, parents, sessions and groups.
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
std::vector<ProcessImage> dump_tree(SeizedTree& tree);

// `root` is the placeholder for images[0], seized in restore mode. Children
// are forked from their parent's placeholder (clone3 set_tid) before any
// address space is rebuilt, then sessions and groups are made (setsid for
// session leaders, then setpgid, group leaders first), then every process is
// restored. Returned processes (root first) are stopped, ready to detach.
std::vector<SeizedProcess> restore_tree(SeizedProcess root, const std::vector<ProcessImage>& images);

}  // namespace myrt::cr
