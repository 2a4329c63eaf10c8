// Runs OCI hooks with the state on stdin, capturing their output, under an optional timeout.
#include "hooks/hooks.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <optional>

#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/log.hpp"

namespace myrt::hooks {
namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kKeptOutput = 64 * 1024;  // per stream; only the tail matters for the message
constexpr size_t kTailInMessage = 1024;

struct Pipe {
    UniqueFd read, write;
};

Pipe make_pipe() {
    int fds[2];
    check(::pipe2(fds, O_CLOEXEC), "create a pipe for a hook");
    return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

void set_nonblocking(int fd) {
    int flags = check(::fcntl(fd, F_GETFL), "fcntl(F_GETFL)");
    check(::fcntl(fd, F_SETFL, flags | O_NONBLOCK), "fcntl(F_SETFL, O_NONBLOCK)");
}

// A hook that exits without reading its stdin must not kill the runtime with SIGPIPE, and the
// process-wide disposition belongs to others: block it in this thread and discard what we raised.
class SigpipeBlocked {
public:
    SigpipeBlocked() {
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGPIPE);
        pthread_sigmask(SIG_BLOCK, &set, &old_);
        sigset_t pending;
        sigpending(&pending);
        was_pending_ = sigismember(&pending, SIGPIPE);
    }
    ~SigpipeBlocked() {
        sigset_t pending;
        sigpending(&pending);
        if (!was_pending_ && sigismember(&pending, SIGPIPE)) {
            sigset_t set;
            sigemptyset(&set);
            sigaddset(&set, SIGPIPE);
            timespec zero{};
            sigtimedwait(&set, nullptr, &zero);
        }
        pthread_sigmask(SIG_SETMASK, &old_, nullptr);
    }
    SigpipeBlocked(const SigpipeBlocked&) = delete;
    SigpipeBlocked& operator=(const SigpipeBlocked&) = delete;

private:
    sigset_t old_;
    bool was_pending_ = false;
};

// Owns the spawned hook until it is reaped: any early exit kills and reaps it.
class HookProcess {
public:
    explicit HookProcess(pid_t pid) : pid_(pid) {}
    ~HookProcess() {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            int status;
            while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {}
        }
    }
    HookProcess(const HookProcess&) = delete;
    HookProcess& operator=(const HookProcess&) = delete;
    pid_t pid() const { return pid_; }
    int reap() {
        int status = 0;
        while (::waitpid(pid_, &status, 0) < 0) {
            if (errno != EINTR) throw_errno("wait for hook process {}", pid_);
        }
        pid_ = -1;
        return status;
    }

private:
    pid_t pid_;
};

struct Output {
    std::string out, err;
};

// Appends what is readable now; returns false at end of file.
bool drain(int fd, std::string& into) {
    char buf[4096];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof(buf));
        if (n > 0) {
            into.append(buf, static_cast<size_t>(n));
            if (into.size() > 2 * kKeptOutput) into.erase(0, into.size() - kKeptOutput);
            continue;
        }
        if (n == 0) return false;
        if (errno == EINTR) continue;
        if (errno == EAGAIN) return true;
        throw_errno("read a hook's output");
    }
}

std::string trimmed_tail(std::string_view text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ' || text.back() == '\r')) text.remove_suffix(1);
    if (text.size() > kTailInMessage) text = text.substr(text.size() - kTailInMessage);
    return std::string(text);
}

std::string with_output(std::string message, const Output& o) {
    auto tail = trimmed_tail(o.err);
    if (tail.empty()) tail = trimmed_tail(o.out);
    if (!tail.empty()) message += ": " + tail;
    return message;
}

std::string signal_label(int sig) {
    const char* abbrev = sigabbrev_np(sig);
    return abbrev ? fmt::format("signal {} (SIG{})", sig, abbrev) : fmt::format("signal {}", sig);
}

void run_one(Kind kind, const spec::Hook& hook, const std::string& state_json) {
    const std::string who = fmt::format("{} hook {}", kind_name(kind), hook.path);
    if (hook.path.empty() || hook.path[0] != '/') fail("{} hook path \"{}\" must be absolute", kind_name(kind), hook.path);
    if (hook.timeout && *hook.timeout <= 0) fail("{}: timeout {} must be a positive number of seconds", who, *hook.timeout);

    // Everything the child needs is built before the spawn.
    std::vector<std::string> args = hook.args.empty() ? std::vector<std::string>{hook.path} : hook.args;
    std::vector<char*> argv, envp;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<std::string> env = hook.env ? *hook.env : std::vector<std::string>{};
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    char** hook_environ = hook.env ? envp.data() : environ;

    Pipe in = make_pipe(), out = make_pipe(), err = make_pipe();
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in.read.get(), 0);
    posix_spawn_file_actions_adddup2(&actions, out.write.get(), 1);
    posix_spawn_file_actions_adddup2(&actions, err.write.get(), 2);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t all, none;
    sigfillset(&all);
    sigemptyset(&none);
    posix_spawnattr_setsigdefault(&attr, &all);  // the runtime's handlers and ignores are not the hook's
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

    SigpipeBlocked sigpipe_blocked;
    pid_t pid = -1;
    int rc = ::posix_spawn(&pid, hook.path.c_str(), &actions, &attr, argv.data(), hook_environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    if (rc != 0) throw SystemError(rc, fmt::format("{}: cannot run it", who));
    HookProcess child(pid);
    in.read.reset();
    out.write.reset();
    err.write.reset();

    // A pidfd tells poll when the hook exits even if a descendant keeps its stdout open.
    UniqueFd pidfd(static_cast<int>(check(::syscall(SYS_pidfd_open, pid, 0), "pidfd_open for {}", who)));
    set_nonblocking(in.write.get());
    set_nonblocking(out.read.get());
    set_nonblocking(err.read.get());

    std::optional<Clock::time_point> deadline;
    if (hook.timeout) deadline = Clock::now() + std::chrono::seconds(*hook.timeout);
    Output output;
    size_t written = 0;
    if (state_json.empty()) in.write.reset();
    bool out_open = true, err_open = true;

    for (;;) {
        pollfd fds[4];
        nfds_t n = 0;
        fds[n++] = {pidfd.get(), POLLIN, 0};
        if (out_open) fds[n++] = {out.read.get(), POLLIN, 0};
        if (err_open) fds[n++] = {err.read.get(), POLLIN, 0};
        if (in.write) fds[n++] = {in.write.get(), POLLOUT, 0};
        int wait_ms = -1;
        if (deadline) {
            auto left = std::chrono::ceil<std::chrono::milliseconds>(*deadline - Clock::now()).count();
            wait_ms = static_cast<int>(std::max<long>(0, left));
        }
        int ready = ::poll(fds, n, wait_ms);
        if (ready < 0) {
            if (errno == EINTR) continue;
            throw_errno("poll while running {}", who);
        }
        // Checked whatever poll returned, so a hook that floods its output still times out.
        if (deadline && Clock::now() >= *deadline && !(fds[0].revents & POLLIN)) {
            ::kill(pid, SIGKILL);
            child.reap();
            drain(out.read.get(), output.out);
            drain(err.read.get(), output.err);
            fail("{}", with_output(fmt::format("{} timed out after {}s and was killed", who, *hook.timeout), output));
        }
        for (nfds_t i = 0; i < n; ++i) {
            if (!fds[i].revents) continue;
            int fd = fds[i].fd;
            if (fd == out.read.get()) out_open = drain(fd, output.out);
            else if (fd == err.read.get()) err_open = drain(fd, output.err);
            else if (in.write && fd == in.write.get()) {
                ssize_t w = ::write(fd, state_json.data() + written, state_json.size() - written);
                if (w > 0) written += static_cast<size_t>(w);
                else if (w < 0 && errno != EAGAIN && errno != EINTR) in.write.reset();  // EPIPE: hook ignores stdin
                if (written == state_json.size()) in.write.reset();
            }
        }
        if (fds[0].revents) break;  // exited
    }

    int status = child.reap();
    // The hook is gone; take what it wrote, but do not wait for descendants holding the pipes.
    if (out_open) drain(out.read.get(), output.out);
    if (err_open) drain(err.read.get(), output.err);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        log::debug("{} succeeded{}", who, with_output("", output));
        return;
    }
    if (WIFSIGNALED(status))
        fail("{}", with_output(fmt::format("{} was killed by {}", who, signal_label(WTERMSIG(status))), output));
    fail("{}", with_output(fmt::format("{} exited with status {}", who, WEXITSTATUS(status)), output));
}

}  // namespace

const char* kind_name(Kind k) {
    switch (k) {
        case Kind::prestart: return "prestart";
        case Kind::create_runtime: return "createRuntime";
        case Kind::create_container: return "createContainer";
        case Kind::start_container: return "startContainer";
        case Kind::poststart: return "poststart";
        case Kind::poststop: return "poststop";
    }
    return "unknown";
}

void run(Kind kind, const std::vector<spec::Hook>& hooks, const std::string& state_json) {
    for (size_t i = 0; i < hooks.size(); ++i) {
        try {
            run_one(kind, hooks[i], state_json);
        } catch (const Error& e) {
            // runc's prefix (its index counts from 0), which callers match.
            throw Error(fmt::format("error running {} hook #{}: {}", kind_name(kind), i, e.what()));
        }
    }
}

void run_warn_only(Kind kind, const std::vector<spec::Hook>& hooks, const std::string& state_json) {
    for (const auto& hook : hooks) {
        try {
            run_one(kind, hook, state_json);
        } catch (const Error& e) {
            log::warn("{}", e.what());
        }
    }
}

}  // namespace myrt::hooks
