#include "runtime/exec.hpp"

#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/cgroup/cgroup.hpp"
#include "runtime/console.hpp"
#include "runtime/inherited_fds.hpp"
#include "runtime/process_scheduling.hpp"
#include "runtime/lifecycle.hpp"
#include "runtime/pid_file.hpp"
#include "runtime/process_info.hpp"
#include "runtime/process_setup.hpp"
#include "runtime/state_json.hpp"
#include "runtime/seccomp_delivery.hpp"
#include "runtime/sync_channel.hpp"
#include "runtime/security/capabilities.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace myrt::runtime {
namespace {

// The namespaces of the init that differ from ours: setns into an identical
// user namespace fails with EINVAL, the others are harmless but pointless.
int namespaces_to_join(pid_t init) {
    static const std::pair<const char*, int> all[] = {
        {"user", CLONE_NEWUSER}, {"mnt", CLONE_NEWNS},   {"uts", CLONE_NEWUTS},       {"ipc", CLONE_NEWIPC},
        {"net", CLONE_NEWNET},   {"pid", CLONE_NEWPID},  {"cgroup", CLONE_NEWCGROUP}, {"time", CLONE_NEWTIME}};
    int flags = 0;
    for (auto [name, flag] : all) {
        struct stat a, b;
        std::string theirs = "/proc/" + std::to_string(init) + "/ns/" + name;
        std::string ours = std::string("/proc/self/ns/") + name;
        if (::stat(theirs.c_str(), &a) != 0 || ::stat(ours.c_str(), &b) != 0) continue;
        if (a.st_ino != b.st_ino || a.st_dev != b.st_dev) flags |= flag;
    }
    return flags;
}

pid_t fork_plain() {
    clone_args args{};
    args.exit_signal = SIGCHLD;
    long r = ::syscall(SYS_clone3, &args, sizeof args);
    if (r < 0) throw_errno("fork");
    return static_cast<pid_t>(r);
}

}  // namespace

int exec_in_container(const StateStore& store, const ExecOptions& opts) {
    ContainerState st = store.load(opts.id);
    Status s = current_status(store, st);
    if (s == Status::stopped) fail("cannot exec in a stopped container \"{}\"", opts.id);
    if (s == Status::paused && !opts.ignore_paused)
        fail("cannot exec in a paused container \"{}\" (--ignore-paused joins it anyway)", opts.id);
    spec::Config config = spec::parse_config(st.config);
    const spec::Process& proc = opts.process;
    if (proc.args.empty()) fail("exec: process.args must not be empty");
    if (proc.capabilities) security::warn_unusable_capabilities(*proc.capabilities);
    if (proc.terminal && opts.detach && opts.console_socket.empty())
        fail("exec: a detached process with a terminal needs --console-socket");

    UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, st.pid, 0)));
    if (!pidfd || !process_is_alive(st.pid, st.pid_start_time)) fail("container \"{}\" is not running", opts.id);
    UniqueFd root(::open(("/proc/" + std::to_string(st.pid) + "/root").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root) throw_errno("open the root of container {}", opts.id);
    int ns_flags = namespaces_to_join(st.pid);
    auto cg = cgroup::Cgroup::from_json(st.cgroup);

    UniqueFd console, console_peer;  // console_peer: our end when we proxy the terminal ourselves
    if (proc.terminal) {
        auto ch = open_console_channel(opts.console_socket);
        console = std::move(ch.to_container);
        console_peer = std::move(ch.ours);
    }
    // The exec'd process is a grandchild (it must fork to enter the pid
    // namespace); as subreaper we still get its exit status in the foreground.
    if (!opts.detach) ::prctl(PR_SET_CHILD_SUBREAPER, 1);

    int listen_fds = listen_fds_of(proc.env);  // reads our pid: before the fork
    close_inherited_fds(3 + listen_fds + opts.preserve_fds);
    auto [parent_end, child_end] = SyncChannel::make_pair();
    pid_t mid = fork_plain();
    if (mid == 0) {
        log::keep_warnings_off_stderr();
        try {
            parent_end.close();
            console_peer.reset();
            if (ns_flags && ::setns(pidfd.get(), ns_flags) != 0) throw_errno("join the namespaces of container {}", opts.id);
            check(::fchdir(root.get()), "enter the container root");
            check(::chroot("."), "chroot into the container root");
            pid_t child = fork_plain();
            if (child != 0) {
                child_end.send(SyncMsg::created, std::to_string(child));
                ::_exit(0);
            }
            apply_initial_cpu_affinity(proc);
            child_end.expect(SyncMsg::go, "the runtime to place the process in the cgroup");
            apply_final_cpu_affinity(proc);
            // Its own session, as runc's exec'd processes: getpgrp() is not 0 inside.
            check(::setsid(), "setsid");
            if (proc.terminal) {
                setup_container_console(console.get(), proc.console_size, opts.console_socket.empty());
                console.reset();
            }
            ExecPlan ep;
            ep.process = &proc;
            ep.seccomp = config.linux.seccomp ? &*config.linux.seccomp : nullptr;
            ep.personality = config.linux.personality;
            ep.preserve_fds = opts.preserve_fds;
            ep.listen_fds = listen_fds;
            ep.hand_over_listener = [&](UniqueFd listener) {
                child_end.send_with_fd(SyncMsg::seccomp_listener, listener.get());
                child_end.expect(SyncMsg::seccomp_listener_sent, "the runtime to deliver the seccomp listener");
            };
            setup_and_exec(ep, nullptr);
        } catch (const std::exception& e) {
            try {
                child_end.send(SyncMsg::error, e.what());
            } catch (...) {
            }
            ::_exit(127);
        }
    }
    child_end.close();
    console.reset();
    pid_t pid = 0;
    try {
        pid = std::stoi(parent_end.expect(SyncMsg::created, "the exec process"));
        ::waitpid(mid, nullptr, 0);
        log::debug("exec: process {} forked in the namespaces of container {} (init {})", pid, opts.id, st.pid);
        cg.add_process_below(pid, opts.cgroup_below);
        log::debug("exec: process {} joined the cgroup of container {}", pid, opts.id);
        parent_end.send(SyncMsg::go);
        // The channel is close-on-exec: end of file means execve succeeded.
        while (auto m = parent_end.recv_or_eof()) {
            if (m->first != SyncMsg::seccomp_listener || !config.linux.seccomp)
                fail("exec: unexpected message {} from the process", static_cast<int>(m->first));
            deliver_seccomp_listener(parent_end, *config.linux.seccomp, st, Status::running, pid);
        }
    } catch (...) {
        if (pid > 0) ::kill(pid, SIGKILL);
        ::waitpid(mid, nullptr, WNOHANG);
        throw;
    }
    if (!opts.pid_file.empty()) write_pid_file(opts.pid_file, pid);
    if (opts.detach) return 0;
    if (console_peer) {
        UniqueFd master = receive_fd(console_peer.get());
        return proxy_terminal_until_exit(master.get(), pid);
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) throw_errno("wait for the exec process");
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace myrt::runtime
