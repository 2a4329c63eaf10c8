#pragma once
// How a restore rebuilds the process groups and sessions of a tree whose
// leaders may be gone: a session or group id that no live process of the
// image has as its pid is held by a short-lived placeholder with that pid,
// made before the members need it and ended once the tree is built
// (docs/cr-process.md, "Zombies and ids without a leader").
#include <cstddef>
#include <cstdint>
#include <map>
#include <vector>

#include "cr/task/task_state.hpp"

namespace myrt::cr {

struct IdHolder {
    int32_t ns_pid;  // the id it holds (and its pid)
    size_t creator;  // index of the image process that forks it (and reaps it)
};

struct TreeIdPlan {
    // Sessions whose leader is gone: forked from the root, setsid. Members
    // whose parent is the root are forked from the holder, and become the
    // root's children again when it ends (the root is the pid namespace's
    // init, which takes orphans).
    std::vector<IdHolder> sessions;
    std::map<int32_t, size_t> session_holder;  // sid -> index in `sessions`
    // Groups whose leader is gone: forked from a member once every process
    // exists (so in the right session), setpgid(0, 0); members join after.
    std::vector<IdHolder> groups;
    // Which process forks image process i (i >= 1): its parent, or (npos) the session holder.
    std::vector<size_t> creator;
};

inline constexpr size_t forked_by_session_holder = static_cast<size_t>(-1);

// Images in dump order (parents first, root at 0). Throws naming the
// process when its ids cannot be rebuilt; the checkpoint calls it too, so
// such a tree is refused while the container still runs.
TreeIdPlan plan_tree_ids(const std::vector<ProcessState>& images);

}  // namespace myrt::cr
