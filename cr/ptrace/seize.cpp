#include "cr/ptrace/seize.hpp"

#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

#include <algorithm>
#include <map>
#include <sstream>
#include <utility>

#include "cr/ptrace/proc_scan.hpp"
#include "cr/ptrace/registers.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace myrt::cr {
namespace {

// Injected syscalls must not pass through the task's own seccomp filters
// (a filter that fakes a prctl result would fake the dumped state). The
// kernel grants PTRACE_O_SUSPEND_SECCOMP only to a tracer with CAP_SYS_ADMIN
// that runs under no filter itself; without it, seizing goes on as before.
bool suspend_seccomp_refused = false;

long options_for(SeizeMode mode) {
    long o = PTRACE_O_TRACESYSGOOD;
    if (mode == SeizeMode::restore) o |= PTRACE_O_EXITKILL | PTRACE_O_TRACECLONE | PTRACE_O_TRACEFORK;
    if (!suspend_seccomp_refused) o |= PTRACE_O_SUSPEND_SECCOMP;
    return o;
}

bool is_stop_signal(int sig) {
    return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

// Tasks a seize would fail on or hang in, refused with what they are doing.
void refuse_unseizable(pid_t tid) {
    try {
        auto text = read_proc_file(fmt::format("/proc/{}/status", tid));
        std::istringstream in(text);
        std::string line;
        while (std::getline(in, line))
            if (line.rfind("TracerPid:", 0) == 0 && std::stol(line.substr(10)) != 0)
                fail("not supported yet: task {} is traced by process {} (a debugger); a checkpoint needs it detached",
                     tid, std::stol(line.substr(10)));
        // A vfork parent waits (killable, not interruptible) until its child
        // execs or exits: PTRACE_INTERRUPT would never stop it.
        std::istringstream sc(read_proc_file(fmt::format("/proc/{}/syscall", tid)));
        std::string nr, flags;
        sc >> nr >> flags;
        bool in_vfork = nr == std::to_string(SYS_vfork) ||
                        (nr == std::to_string(SYS_clone) && (std::stoull(flags, nullptr, 16) & CLONE_VFORK));
        if (in_vfork)
            fail("not supported yet: process {} is inside vfork, waiting for its child to exec or exit", tid);
    } catch (const SystemError&) {
        // gone meanwhile: the seize reports it
    }
}

}  // namespace

std::optional<SeizedTask> SeizedTask::try_seize(pid_t tid, SeizeMode mode) {
    char before = task_state_letter(tid);
    if (before == 0) return std::nullopt;
    if (before == 'Z' || before == 'X') fail("task {} is a zombie and cannot be seized", tid);
    refuse_unseizable(tid);
    long rc = ::ptrace(PTRACE_SEIZE, tid, nullptr, options_for(mode));
    if (rc != 0 && (errno == EPERM || errno == EINVAL) && !suspend_seccomp_refused) {
        suspend_seccomp_refused = true;
        log::debug("PTRACE_O_SUSPEND_SECCOMP refused (errno {}): injected syscalls pass the tasks' seccomp filters", errno);
        rc = ::ptrace(PTRACE_SEIZE, tid, nullptr, options_for(mode));
    }
    if (rc != 0) {
        if (errno == ESRCH) return std::nullopt;
        throw_errno("PTRACE_SEIZE of task {}", tid);
    }
    SeizedTask t;
    t.tid_ = tid;
    t.was_stopped_ = before == 'T';
    if (::ptrace(PTRACE_INTERRUPT, tid, nullptr, nullptr) != 0) throw_errno("PTRACE_INTERRUPT of task {}", tid);
    for (;;) {
        int st = 0;
        if (::waitpid(tid, &st, __WALL) < 0) {
            if (errno == EINTR) continue;
            throw_errno("waiting for task {} to stop after PTRACE_INTERRUPT", tid);
        }
        if (WIFEXITED(st) || WIFSIGNALED(st)) {
            t.tid_ = -1;
            return std::nullopt;
        }
        if (!WIFSTOPPED(st)) continue;
        int sig = WSTOPSIG(st);
        if ((st >> 16) == PTRACE_EVENT_STOP) {
            if (is_stop_signal(sig)) t.was_stopped_ = true;
            return t;
        }
        // A signal-delivery-stop: the task was about to take a signal when we
        // attached. Let it take it (same siginfo, handler frame built as it
        // would have been); the pending interrupt then stops it.
        if (::ptrace(PTRACE_CONT, tid, nullptr, reinterpret_cast<void*>(static_cast<long>(sig))) != 0)
            throw_errno("resuming task {} into its pending signal {}", tid, sig);
    }
}

SeizedTask::SeizedTask(pid_t tid, SeizeMode mode) {
    auto t = try_seize(tid, mode);
    if (!t) fail("task {} does not exist (it exited before it could be seized)", tid);
    *this = std::move(*t);
}

SeizedTask SeizedTask::adopt_stopped(pid_t tid) {
    SeizedTask t;
    t.tid_ = tid;
    return t;
}

SeizedTask::SeizedTask(SeizedTask&& o) noexcept
    : tid_(std::exchange(o.tid_, -1)), was_stopped_(o.was_stopped_) {}

SeizedTask& SeizedTask::operator=(SeizedTask&& o) noexcept {
    if (this != &o) {
        if (tid_ >= 0) ::ptrace(PTRACE_DETACH, tid_, nullptr, nullptr);
        tid_ = std::exchange(o.tid_, -1);
        was_stopped_ = o.was_stopped_;
    }
    return *this;
}

SeizedTask::~SeizedTask() {
    if (tid_ >= 0 && ::ptrace(PTRACE_DETACH, tid_, nullptr, nullptr) != 0 && errno != ESRCH)
        log::warn("detaching from task {} failed: errno {}", tid_, errno);
}

void SeizedTask::detach() {
    if (tid_ < 0) return;
    pid_t tid = std::exchange(tid_, -1);
    // Our interrupt made epoll_wait (and sigtimedwait) fail with EINTR; the
    // program would see it, so the syscall runs again instead.
    try {
        user_regs_struct regs = get_gp_registers(tid);
        if (restart_eintr_from_stop(regs)) set_gp_registers(tid, regs);
    } catch (const Error&) {
        // the task died meanwhile: the detach below says so
    }
    if (::ptrace(PTRACE_DETACH, tid, nullptr, nullptr) != 0) throw_errno("PTRACE_DETACH of task {}", tid);
}

SeizedProcess::SeizedProcess(pid_t pid, SeizeMode mode) : pid_(pid) {
    for (;;) {
        auto tids = list_threads(pid);
        if (tids.empty() && threads_.empty()) fail("process {} does not exist", pid);
        bool found_new = false;
        for (pid_t tid : tids) {
            bool known = std::any_of(threads_.begin(), threads_.end(), [&](auto& t) { return t.tid() == tid; });
            if (known) continue;
            if (tid == pid && tids.size() > 1 && task_state_letter(tid) == 'Z') {
                leader_exited_ = true;
                continue;
            }
            if (auto t = SeizedTask::try_seize(tid, mode)) {
                was_stopped_ = was_stopped_ || t->was_group_stopped();
                threads_.push_back(std::move(*t));
                found_new = true;
            }
        }
        // Every seized thread is stopped and cannot clone; a scan that finds no
        // new thread therefore means the set is complete.
        if (!found_new) break;
    }
    if (threads_.empty()) fail("process {} exited before it could be seized", pid);
    if (leader_exited_) log::debug("process {}: the leader exited, {} threads live on", pid, threads_.size());
    // The leader first: callers treat threads()[0] as the thread-group leader.
    std::stable_partition(threads_.begin(), threads_.end(), [&](auto& t) { return t.tid() == pid; });
}

SeizedProcess SeizedProcess::adopt(pid_t pid, SeizedTask leader) {
    SeizedProcess p;
    p.pid_ = pid;
    p.threads_.push_back(std::move(leader));
    return p;
}

SeizedProcess::~SeizedProcess() {
    if (!threads_.empty()) {
        try {
            detach();
        } catch (const std::exception& e) {
            log::warn("{}", e.what());
        }
    }
}

void SeizedProcess::detach() {
    std::string first_error;
    for (auto& t : threads_) {
        try {
            t.detach();
        } catch (const std::exception& e) {
            if (first_error.empty()) first_error = e.what();
        }
    }
    threads_.clear();
    // The kernel re-enters the group-stop on detach while SIGNAL_STOP_STOPPED
    // is set; if something resumed the group meanwhile, stop it again so the
    // process ends exactly as stopped as we found it.
    if (was_stopped_ && pid_ > 0 && task_state_letter(pid_) != 'T' && task_state_letter(pid_) != 0)
        ::kill(pid_, SIGSTOP);
    if (!first_error.empty()) fail("{}", first_error);
}

void SeizedProcess::release() noexcept {
    for (auto& t : threads_) t.release();
    threads_.clear();
}

void SeizedProcess::kill_and_reap() noexcept {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    for (auto& t : threads_)
        if (t.tid() != pid_) ::waitpid(t.tid(), nullptr, __WALL);
    ::waitpid(pid_, nullptr, __WALL);
    release();
}

SeizedTree::SeizedTree(pid_t root, SeizeMode mode) {
    procs_.emplace_back(root, mode);
    for (;;) {
        bool found_new = false;
        for (size_t i = 0; i < procs_.size(); ++i) {
            for (pid_t child : list_children(procs_[i].pid())) {
                bool known = std::any_of(procs_.begin(), procs_.end(), [&](auto& p) { return p.pid() == child; }) ||
                             std::any_of(zombies_.begin(), zombies_.end(), [&](auto& z) { return z.pid == child; });
                if (known) continue;
                // An unreaped child: a zombie whose threads are all gone (a
                // zombie leader with live threads is a live process).
                if (task_state_letter(child) == 'Z' && list_threads(child).size() <= 1) {
                    zombies_.push_back({child, procs_[i].pid()});
                    continue;
                }
                try {
                    procs_.emplace_back(child, mode);
                    found_new = true;
                } catch (const Error&) {
                    char state = task_state_letter(child);
                    if (state == 'Z') {
                        zombies_.push_back({child, procs_[i].pid()});
                        continue;
                    }
                    if (state != 0) throw;  // still there: a real failure
                }
            }
        }
        if (!found_new) break;
    }
}

void SeizedTree::detach() {
    for (auto& p : procs_) p.detach();
    procs_.clear();
}

}  // namespace myrt::cr
