#include "cr/task/spawn.hpp"

#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "util/error.hpp"
#include "util/fd.hpp"

namespace myrt::cr {

pid_t spawn_in_pidns(int pidns_fd, pid_t ns_pid, const std::function<void()>& child_main) {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) throw_errno("pipe for the pid namespace helper");
    UniqueFd rd(p[0]), wr(p[1]);
    pid_t helper = ::fork();
    if (helper < 0) throw_errno("fork of the pid namespace helper");
    if (helper == 0) {
        rd.reset();
        long result;
        if (::setns(pidns_fd, CLONE_NEWPID) != 0) {
            result = -errno;
        } else {
            clone_args args{};
            pid_t want = ns_pid;
            args.flags = CLONE_PARENT;
            args.set_tid = reinterpret_cast<uint64_t>(&want);
            args.set_tid_size = 1;
            long rc = ::syscall(SYS_clone3, &args, sizeof args);
            if (rc == 0) {
                wr.reset();
                child_main();
                ::_exit(127);
            }
            result = rc < 0 ? -errno : rc;
        }
        (void)!::write(wr.get(), &result, sizeof result);
        ::_exit(0);
    }
    wr.reset();
    long result = 0;
    ssize_t n = ::read(rd.get(), &result, sizeof result);
    int st = 0;
    ::waitpid(helper, &st, 0);
    if (n != sizeof result) fail("the pid namespace helper died before reporting (status {:#x})", st);
    if (result < 0)
        throw SystemError(static_cast<int>(-result), fmt::format("creating pid {} in the pid namespace with clone3 set_tid", ns_pid));
    return static_cast<pid_t>(result);
}

pid_t spawn_restore_placeholder(int pidns_fd, pid_t ns_pid) {
    return spawn_in_pidns(pidns_fd, ns_pid, [] {
        ::syscall(SYS_close_range, 3, ~0u, 0);
        for (;;) ::pause();
    });
}

}  // namespace myrt::cr
