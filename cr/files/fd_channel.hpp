#pragma once
// Handing the restorer's open file descriptions to a seized task. The task
// creates an AF_UNIX socketpair by injection; the restorer takes one end out
// of it with pidfd_getfd (it may: it traces the task), then sends fds over it
// with SCM_RIGHTS while an injected recvmsg receives them.
//
// Why not pidfd_getfd inside the task: the task would need a pidfd of the
// restorer, whose pid is not visible in the container's pid namespace. Why
// not a named socket: that needs a path in the container's filesystem and
// depends on its network namespace for abstract names. A socketpair needs
// neither and works in any namespace.
#include "cr/ptrace/inject.hpp"
#include "util/fd.hpp"

#include <sys/types.h>

namespace myrt::cr::files {

class FdChannel {
public:
    // `above`: the task's end is moved to the lowest free fd >= above, so it
    // never collides with a number being restored.
    FdChannel(pid_t pid, Injector& inj, RemoteScratch& scratch, int above);
    ~FdChannel();
    FdChannel(const FdChannel&) = delete;
    FdChannel& operator=(const FdChannel&) = delete;

    int task_fd() const { return task_fd_; }
    // Sends `local_fd` and returns the number it got in the task, with
    // close-on-exec as asked (so an fd landing on its own number needs nothing more).
    int send(int local_fd, bool cloexec);
    // Closes the task's end now; throws on failure.
    void close();

private:
    pid_t pid_;
    Injector& inj_;
    RemoteScratch& scratch_;
    UniqueFd local_;
    int task_fd_ = -1;
};

}  // namespace myrt::cr::files
