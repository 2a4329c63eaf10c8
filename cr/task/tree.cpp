#include "cr/task/tree.hpp"

#include <linux/sched.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <map>

#include "cr/ptrace/inject.hpp"
#include "cr/ptrace/remote_memory.hpp"
#include "cr/task/dump_task.hpp"
#include "util/error.hpp"

namespace myrt::cr {
namespace {

int32_t ns_pid_of(const ProcessState& s) { return s.core.ids.ns_pid[s.core.ids.ns_depth - 1]; }

}  // namespace

pid_t fork_child(SeizedProcess& parent, int32_t ns_pid, int exit_signal) {
    Injector inj(parent.pid());
    RemoteScratch scratch(inj, 4096);
    uint64_t tid_at = scratch.put(512, ns_pid);
    clone_args args{};
    args.exit_signal = static_cast<uint64_t>(exit_signal);
    args.set_tid = tid_at;
    args.set_tid_size = 1;
    scratch.put(0, args);
    inj.checked(fmt::format("clone3 of child process {}", ns_pid), SYS_clone3, scratch.addr(), sizeof args);
    auto child = inj.last_clone_child();
    if (!child) fail("clone3 of child {} reported no PTRACE_EVENT_FORK", ns_pid);
    for (;;) {
        int st = 0;
        if (::waitpid(*child, &st, __WALL) < 0) {
            if (errno == EINTR) continue;
            throw_errno("waiting for the new child {} to stop", *child);
        }
        if (WIFSTOPPED(st) && (st >> 16) == PTRACE_EVENT_STOP) break;
        if (!WIFSTOPPED(st)) fail("new child {} died before it stopped", *child);
        ::ptrace(PTRACE_CONT, *child, nullptr, nullptr);
    }
    // The child shares nothing with the parent's scratch: fork copied it, so
    // unmap it in the child too.
    {
        Injector cinj(*child);
        cinj.checked("unmapping the inherited scratch", SYS_munmap, scratch.addr(), scratch.size());
        cinj.finish();
    }
    scratch.release();
    inj.finish();
    return *child;
}

std::vector<ProcessImage> dump_tree(SeizedTree& tree) {
    std::vector<ProcessImage> out;
    for (auto& proc : tree.processes()) {
        ProcessImage img;
        img.state = dump_process_state(proc);
        dump_memory(proc.live_tid(), img.state.vmas, img.memory.sink());
        out.push_back(std::move(img));
    }
    return out;
}

std::vector<SeizedProcess> restore_tree(SeizedProcess root, const std::vector<ProcessImage>& images) {
    if (images.empty()) fail("the tree image holds no process");
    std::vector<SeizedProcess> procs;
    procs.push_back(std::move(root));
    // Dump-time host pid -> index, to find each process's parent.
    std::map<int32_t, size_t> by_dump_pid;
    for (size_t i = 0; i < images.size(); ++i) by_dump_pid[images[i].state.core.ids.pid] = i;
    try {
        for (size_t i = 1; i < images.size(); ++i) {
            auto parent = by_dump_pid.find(images[i].state.core.ids.ppid);
            if (parent == by_dump_pid.end() || parent->second >= i)
                fail("process {} of the image has no parent restored before it", ns_pid_of(images[i].state));
            pid_t child = fork_child(procs[parent->second], ns_pid_of(images[i].state));
            procs.push_back(SeizedProcess::adopt(child, SeizedTask::adopt_stopped(child)));
        }
        // Sessions first (setsid only works for a non-group-leader, which a
        // fresh child is), then own groups, then joining other groups: the
        // group must already exist in the caller's session.
        for (size_t i = 0; i < images.size(); ++i) {
            const auto& ids = images[i].state.core.ids;
            if (ids.ns_sid != ns_pid_of(images[i].state)) continue;
            Injector inj(procs[i].pid());
            inj.checked(fmt::format("setsid for session leader {}", ids.ns_sid), SYS_setsid);
            inj.finish();
        }
        for (int pass = 0; pass < 2; ++pass)
            for (size_t i = 0; i < images.size(); ++i) {
                const auto& ids = images[i].state.core.ids;
                bool own = ids.ns_pgid == ns_pid_of(images[i].state);
                if (ids.ns_sid == ns_pid_of(images[i].state) || ids.ns_pgid == 0 || own != (pass == 0)) continue;
                Injector inj(procs[i].pid());
                inj.checked(fmt::format("setpgid to group {}", ids.ns_pgid), SYS_setpgid, 0, ids.ns_pgid);
                inj.finish();
            }
        for (size_t i = 0; i < images.size(); ++i) restore_process(procs[i], images[i].state, images[i].memory);
    } catch (...) {
        for (auto it = procs.rbegin(); it != procs.rend(); ++it) it->kill_and_reap();
        throw;
    }
    return procs;
}

}  // namespace myrt::cr
