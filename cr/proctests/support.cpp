#include "support.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

#include "cr/task/spawn.hpp"
#include "util/error.hpp"

namespace myrt::cr::test {

PidNamespace::PidNamespace() {
    int p[2];
    check(::pipe(p), "pipe");
    UniqueFd rd(p[0]), wr(p[1]);
    holder_ = check(::fork(), "fork");
    if (holder_ == 0) {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::unshare(CLONE_NEWPID) != 0) ::_exit(1);
        pid_t init = ::fork();
        if (init == 0) {
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);
            // Reap orphans as they come: SIGCHLD needs a handler to end sigsuspend.
            struct sigaction sa {};
            sa.sa_handler = [](int) {};
            ::sigaction(SIGCHLD, &sa, nullptr);
            sigset_t chld, empty;
            sigemptyset(&chld);
            sigemptyset(&empty);
            sigaddset(&chld, SIGCHLD);
            ::sigprocmask(SIG_BLOCK, &chld, nullptr);
            for (;;) {
                while (::waitpid(-1, nullptr, WNOHANG) > 0) {
                }
                ::sigsuspend(&empty);
            }
        }
        (void)!::write(wr.get(), &init, sizeof init);
        ::waitpid(init, nullptr, 0);
        ::_exit(0);
    }
    wr.reset();
    if (::read(rd.get(), &init_, sizeof init_) != sizeof init_ || init_ <= 0) fail("pid namespace holder failed");
    std::string path = fmt::format("/proc/{}/ns/pid", init_);
    nsfd_ = UniqueFd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!nsfd_) throw_errno("open {}", path);
}

PidNamespace::~PidNamespace() {
    if (init_ > 0) ::kill(init_, SIGKILL);
    if (holder_ > 0) {
        ::kill(holder_, SIGKILL);
        ::waitpid(holder_, nullptr, 0);
    }
}

ProgressFile::ProgressFile() {
    char tmpl[] = "/tmp/cr-proc-progress-XXXXXX";
    int fd = check(::mkstemp(tmpl), "mkstemp");
    UniqueFd f(fd);
    path_ = tmpl;
    check(::ftruncate(fd, 4096), "ftruncate {}", path_);
    void* m = ::mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED) throw_errno("mmap {}", path_);
    map_ = Mapping(m, 4096);
}

ProgressFile::~ProgressFile() { ::unlink(path_.c_str()); }

bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
    auto end = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < end) {
        if (pred()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return pred();
}

static void exec_counter(const std::string& progress, int mib, int threads, const char* mode = "plain") {
    std::string m = std::to_string(mib), t = std::to_string(threads);
    ::execl(CR_PROC_COUNTER, "counter", progress.c_str(), m.c_str(), t.c_str(), mode, nullptr);
    ::_exit(126);
}

pid_t start_counter(PidNamespace& ns, pid_t ns_pid, ProgressFile& progress, int mib, int threads, const char* mode) {
    std::string path = progress.path();
    pid_t pid = spawn_in_pidns(ns.fd(), ns_pid, [&] { exec_counter(path, mib, threads, mode); });
    if (!wait_until([&] {
            bool threads_up = true;
            for (int i = 0; i < threads; ++i) threads_up = threads_up && progress->thread_counter[i] > 0;
            bool child_up = std::string(mode) != "tree" || progress->child_counter > 2;
            return progress->ready == 1 && progress->counter > 2 && threads_up && child_up;
        }, std::chrono::seconds(30)))
        fail("counter workload {} never became ready", pid);
    return pid;
}

pid_t start_counter_child(ProgressFile& progress, int mib, int threads) {
    std::string path = progress.path();
    pid_t pid = check(::fork(), "fork");
    if (pid == 0) exec_counter(path, mib, threads);
    if (!wait_until([&] { return progress->ready == 1 && progress->counter > 2; }, std::chrono::seconds(30)))
        fail("counter workload {} never became ready", pid);
    return pid;
}

void kill_and_reap(pid_t pid) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, __WALL);
}

bool run_command(ProgressFile& progress, uint32_t cmd) {
    // The workload acts when cmd differs from cmd_done: repeat via CMD_NONE.
    if (progress->cmd_done == cmd) {
        progress->cmd = CMD_NONE;
        if (!wait_until([&] { return progress->cmd_done == CMD_NONE; }, std::chrono::seconds(30))) return false;
    }
    progress->cmd = cmd;
    return wait_until([&] { return progress->cmd_done == cmd; }, std::chrono::seconds(30));
}

}  // namespace myrt::cr::test
