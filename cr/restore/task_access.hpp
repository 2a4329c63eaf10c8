#pragma once
// What a restored task reaches in the file system must be what it could reach
// by itself: its working directory, its root and the files it maps are looked
// up and opened with its own credentials (files::AsTask) before anything of
// the task is rebuilt, so an image cannot hand a task a mapping of a root-only
// file or a cwd it may not enter. The fds are checked where they are opened
// (cr/files, cr/net run their opens on the same thread).
#include <sys/types.h>

#include "cr/files/as_task.hpp"
#include "cr/task/task_state.hpp"

namespace myrt::cr {

// The credentials of a process of the image as host ids. With its own user
// namespace (`userns_of` the container's init, else 0) the ids go through that
// namespace's maps and no capability is kept: the task's capabilities count
// inside its namespace only, the thread's would count on the host.
files::TaskCredentials host_credentials(const ProcessState& p, pid_t userns_of);

// Throws naming the process, the path and the credentials when the task may
// not enter its cwd, chroot to its root or open a file it maps with the access
// the mapping needs. `root_fd` is the container's root.
void check_task_paths(const ProcessState& p, files::AsTask& as, int root_fd);

}  // namespace myrt::cr
