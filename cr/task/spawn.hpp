#pragma once
// Creating a process with a chosen pid inside a pid namespace (clone3 set_tid).
#include <sys/types.h>

#include <functional>

namespace myrt::cr {

// Forks a helper that joins `pidns_fd` for its children and clone3()s with
// set_tid = {ns_pid} and CLONE_PARENT, so the new process is the caller's own
// child (the caller can wait for it) while its pid inside the namespace is
// exactly `ns_pid`. The child runs `child_main`, which must not return.
// Returns the child's pid as the caller sees it; throws if the pid is taken.
pid_t spawn_in_pidns(int pidns_fd, pid_t ns_pid, const std::function<void()>& child_main);

// A process that waits in pause() for a restorer to seize it and replace
// everything it has; its fds above 2 are closed.
pid_t spawn_restore_placeholder(int pidns_fd, pid_t ns_pid);

}  // namespace myrt::cr
