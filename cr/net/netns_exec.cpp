#include "cr/net/netns_exec.hpp"

#include "util/error.hpp"
#include "util/fd.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

namespace myrt::cr::net {

std::string run_in_netns(pid_t pid, const std::vector<std::string>& args, std::string* output) {
    std::string path = fmt::format("/proc/{}/ns/net", pid);
    UniqueFd ns(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!ns) return fmt::format("open {}: {}", path, std::strerror(errno));
    int pipefd[2], errfd[2];
    if (::pipe2(pipefd, O_CLOEXEC) < 0) return fmt::format("pipe: {}", std::strerror(errno));
    UniqueFd rd(pipefd[0]), wr(pipefd[1]);
    // With `output`, stderr apart (read after stdout: it is short).
    if (::pipe2(errfd, O_CLOEXEC) < 0) return fmt::format("pipe: {}", std::strerror(errno));
    UniqueFd erd(errfd[0]), ewr(errfd[1]);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    // vfork: the child borrows our address space until it execs, so no page
    // table is copied (on this VM each copied entry is a hypercall: a fork of
    // the checkpointer cost several ms, and a netns dump runs `ip` four
    // times). No handler may run in the child on our memory: signals stay
    // blocked until just before the exec, which then resets the handlers.
    sigset_t all, old;
    ::sigfillset(&all);
    ::pthread_sigmask(SIG_SETMASK, &all, &old);
    pid_t child = ::vfork();
    if (child == 0) {
        // Only syscalls between vfork and exec: nothing that writes our memory.
        if (::setns(ns.get(), CLONE_NEWNET) < 0) ::_exit(126);
        ::dup2(wr.get(), 1);
        ::dup2(output ? ewr.get() : wr.get(), 2);
        ::sigprocmask(SIG_SETMASK, &old, nullptr);
        ::execvp(argv[0], argv.data());
        ::_exit(127);
    }
    int fork_errno = errno;
    ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
    if (child < 0) return fmt::format("vfork: {}", std::strerror(fork_errno));
    wr.reset();
    ewr.reset();
    std::string out;
    char buf[512];
    for (ssize_t n; (n = ::read(rd.get(), buf, sizeof buf)) != 0;) {
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) break;
        out.append(buf, static_cast<size_t>(n));
    }
    std::string err;
    for (ssize_t n; (n = ::read(erd.get(), buf, sizeof buf)) != 0;) {
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) break;
        if (err.size() < 4096) err.append(buf, static_cast<size_t>(n));
    }
    int status = 0;
    while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {}
    if (output) {
        *output = std::move(out);
        out = std::move(err);
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {};
    while (!out.empty() && out.back() == '\n') out.pop_back();
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127) return fmt::format("{} could not be run (is it installed?)", args[0]);
    return fmt::format("{} exited with status {}: {}", args[0], WIFEXITED(status) ? WEXITSTATUS(status) : -1, out);
}

}  // namespace myrt::cr::net
