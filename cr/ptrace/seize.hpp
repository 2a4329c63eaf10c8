#pragma once
// RAII ptrace attachments: one thread (SeizedTask), every thread of a process
// (SeizedProcess), every process of a tree (SeizedTree). Attaching uses
// PTRACE_SEIZE + PTRACE_INTERRUPT, so the tasks are not sent any signal and a
// task that was already stopped (SIGSTOP) stays stopped after detach.
#include <sys/types.h>

#include <optional>
#include <vector>

namespace myrt::cr {

enum class SeizeMode {
    // No PTRACE_O_EXITKILL: if myrt dies mid-checkpoint the kernel detaches and
    // the container keeps running, which is what a failed checkpoint must do.
    checkpoint,
    // PTRACE_O_EXITKILL + TRACECLONE + TRACEFORK: a half-built task must die
    // with its restorer rather than run with a partial address space; threads
    // and child processes created by injected clone3 are attached automatically.
    restore,
};

class SeizedTask {
public:
    // Attaches and waits for the stop; nullopt if the task no longer exists.
    static std::optional<SeizedTask> try_seize(pid_t tid, SeizeMode mode);
    // Attaches and waits for the stop; throws if the task cannot be seized.
    SeizedTask(pid_t tid, SeizeMode mode);
    // Adopts a task that is already traced by us and in a ptrace stop (a thread
    // auto-attached through PTRACE_O_TRACECLONE).
    static SeizedTask adopt_stopped(pid_t tid);

    SeizedTask(SeizedTask&& o) noexcept;
    SeizedTask& operator=(SeizedTask&& o) noexcept;
    SeizedTask(const SeizedTask&) = delete;
    SeizedTask& operator=(const SeizedTask&) = delete;
    ~SeizedTask();

    pid_t tid() const noexcept { return tid_; }
    // True if the task sat in a group-stop (SIGSTOP, SIGTSTP, ...) when seized.
    bool was_group_stopped() const noexcept { return was_stopped_; }
    // Detaches; the task resumes (or stays in its group-stop). Throws on failure.
    void detach();
    // Forgets the task without detaching (it died, or the caller killed it).
    void release() noexcept { tid_ = -1; }

private:
    SeizedTask() = default;
    pid_t tid_ = -1;
    bool was_stopped_ = false;
};

class SeizedProcess {
public:
    // Seizes every thread of `pid`, re-reading /proc/PID/task until no new
    // thread appears (threads created while we attach are caught too).
    SeizedProcess(pid_t pid, SeizeMode mode);
    // A process whose leader is already traced and stopped (a child created by
    // an injected clone3 under PTRACE_O_TRACEFORK).
    static SeizedProcess adopt(pid_t pid, SeizedTask leader);
    SeizedProcess(SeizedProcess&&) noexcept = default;
    SeizedProcess& operator=(SeizedProcess&&) noexcept = default;
    ~SeizedProcess();

    pid_t pid() const noexcept { return pid_; }
    bool was_stopped() const noexcept { return was_stopped_; }
    // The thread-group leader called pthread_exit while other threads run: it
    // is a zombie, not seized, and threads() holds only the live threads.
    bool leader_exited() const noexcept { return leader_exited_; }
    // A live thread whose mm, fs and files stand for the process's (the
    // leader unless it exited): /proc reads, memory and injection go there.
    // A leader that exited during restore (released, tid -1) is skipped.
    pid_t live_tid() const {
        for (const auto& t : threads_)
            if (t.tid() > 0) return t.tid();
        return threads_.at(0).tid();
    }
    std::vector<SeizedTask>& threads() noexcept { return threads_; }
    const std::vector<SeizedTask>& threads() const noexcept { return threads_; }
    // Adds a thread created under us (injected clone3 with TRACECLONE).
    void add_thread(SeizedTask t) { threads_.push_back(std::move(t)); }
    // Detaches every thread; a process that was stopped is left stopped.
    void detach();
    void release() noexcept;
    // SIGKILLs the process and collects every traced thread (a traced thread
    // that dies waits for its tracer; the leader is reaped last, which also
    // fully reaps it when we are its parent). Used after a dump without
    // --leave-running and when a restore fails.
    void kill_and_reap() noexcept;

private:
    SeizedProcess() = default;
    pid_t pid_ = -1;
    bool was_stopped_ = false;
    bool leader_exited_ = false;
    std::vector<SeizedTask> threads_;
};

class SeizedTree {
public:
    // Seizes `root` and every descendant, re-scanning children until stable.
    SeizedTree(pid_t root, SeizeMode mode);
    std::vector<SeizedProcess>& processes() noexcept { return procs_; }
    // Unreaped children (zombies): not seized, each with its parent's pid.
    struct Zombie {
        pid_t pid;
        pid_t parent;
    };
    const std::vector<Zombie>& zombies() const noexcept { return zombies_; }
    void detach();

private:
    std::vector<SeizedProcess> procs_;
    std::vector<Zombie> zombies_;
};

}  // namespace myrt::cr
