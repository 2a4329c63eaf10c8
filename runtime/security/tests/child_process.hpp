#pragma once
// Runs a test body in a forked child so filters, capability drops and uid changes never touch
// the test process. The child's stderr (and anything it reports) comes back as text.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <exception>
#include <string>

namespace myrt::testing {

struct ChildResult {
    int status = 0;
    std::string output;

    bool exited_with(int code) const { return WIFEXITED(status) && WEXITSTATUS(status) == code; }
    bool killed_by(int sig) const { return WIFSIGNALED(status) && WTERMSIG(status) == sig; }
    std::string describe() const {
        std::string how = WIFEXITED(status)     ? "exit " + std::to_string(WEXITSTATUS(status))
                          : WIFSIGNALED(status) ? "signal " + std::to_string(WTERMSIG(status))
                                                : "status " + std::to_string(status);
        return how + ", output: " + output;
    }
};

// body() returns the exit code; an exception prints its message and exits 100.
template <class Body>
ChildResult run_in_child(Body&& body) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) < 0) return {-1, "pipe2 failed"};
    pid_t pid = ::fork();
    if (pid < 0) return {-1, "fork failed"};
    if (pid == 0) {
        ::dup2(fds[1], 2);
        int code = 101;
        try {
            code = body();
        } catch (const std::exception& e) {
            std::string msg = std::string("exception: ") + e.what() + "\n";
            (void)!::write(2, msg.data(), msg.size());
            code = 100;
        }
        ::_exit(code);
    }
    ::close(fds[1]);
    ChildResult r;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fds[0], buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
        if (n > 0) r.output.append(buf, static_cast<size_t>(n));
    ::close(fds[0]);
    while (::waitpid(pid, &r.status, 0) < 0 && errno == EINTR) {}
    return r;
}

// Writes a short note to the child's stderr (no stdio: filters may forbid what it would call).
inline void note(const std::string& s) { (void)!::write(2, s.data(), s.size()); }

}  // namespace myrt::testing
