#include "cr/task/zombies.hpp"

#include <linux/prctl.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include <sstream>

#include "cr/ptrace/inject.hpp"
#include "cr/ptrace/proc_scan.hpp"
#include "cr/ptrace/registers.hpp"
#include "cr/ptrace/thread_info.hpp"
#include "cr/task/proc_status.hpp"
#include "util/error.hpp"

namespace myrt::cr {
namespace {

// Signals whose default action ends the task (the only ones a zombie can have died of).
bool terminates_by_default(int sig) {
    switch (sig) {
        case SIGCHLD: case SIGCONT: case SIGURG: case SIGWINCH:
        case SIGSTOP: case SIGTSTP: case SIGTTIN: case SIGTTOU:
            return false;
        default:
            return sig >= 1 && sig <= kNumSignals;
    }
}

// Fields 38 (exit_signal) and 52 (exit_code) of /proc/PID/stat.
std::pair<int, int> exit_fields(pid_t pid) {
    auto stat = read_proc_file(fmt::format("/proc/{}/stat", pid));
    auto close = stat.rfind(')');
    if (close == std::string::npos) fail("/proc/{}/stat is malformed", pid);
    std::istringstream in(stat.substr(close + 2));
    std::string field;
    int exit_signal = -1, exit_code = -1;
    for (int i = 3; i <= 52 && (in >> field); ++i) {
        if (i == 38) exit_signal = std::stoi(field);
        if (i == 52) exit_code = std::stoi(field);
    }
    if (exit_signal < 0 || exit_code < 0) fail("/proc/{}/stat lacks the exit fields", pid);
    return {exit_signal, exit_code};
}

void wait_death(pid_t child, int want_status) {
    for (;;) {
        int st = 0;
        if (::waitpid(child, &st, __WALL) < 0) {
            if (errno == EINTR) continue;
            throw_errno("waiting for the zombie-to-be {} to exit", child);
        }
        if (WIFEXITED(st) || WIFSIGNALED(st)) {
            if (want_status >= 0 && st != want_status)
                fail("process {} was to exit with wait status {:#x} but ended with {:#x}", child, want_status, st);
            return;
        }
        if (!WIFSTOPPED(st)) continue;
        // Our signal, taken with its default action; any other stop goes on.
        int sig = WSTOPSIG(st);
        long deliver = (st >> 16) == 0 && sig == (want_status & 0x7f) ? sig : 0;
        if (::ptrace(PTRACE_CONT, child, nullptr, reinterpret_cast<void*>(deliver)) != 0)
            throw_errno("resuming the zombie-to-be {}", child);
    }
}

}  // namespace

ZombieRecord dump_zombie(pid_t pid, pid_t parent) {
    auto st = read_status(fmt::format("/proc/{}/status", pid));
    ZombieRecord z{};
    z.pid = pid;
    auto nspid = status_numbers(st, "NSpid"), pgid = status_numbers(st, "NSpgid"), sid = status_numbers(st, "NSsid");
    if (nspid.empty() || pgid.empty() || sid.empty()) fail("zombie {} of process {}: its status has no NSpid", pid, parent);
    z.ns_pid = static_cast<int32_t>(nspid.back());
    z.ns_pgid = static_cast<int32_t>(pgid.back());
    z.ns_sid = static_cast<int32_t>(sid.back());
    auto [exit_signal, code] = exit_fields(pid);
    z.exit_signal = exit_signal;
    z.wait_status = code;
    if (WIFSIGNALED(code) && WCOREDUMP(code))
        fail("not supported: process {} is a zombie child of process {} killed by signal {} with a core dump "
             "(exit status {:#x}); a restore cannot dump core again: reap it first",
             pid, parent, WTERMSIG(code), code);
    check_zombie(z, parent);
    return z;
}

void check_zombie(const ZombieRecord& z, int32_t parent_pid) {
    bool exited = (z.wait_status & 0x7f) == 0 && (z.wait_status & ~0xff00) == 0;
    bool signaled = (z.wait_status & ~0x7f) == 0 && terminates_by_default(z.wait_status & 0x7f);
    if (z.ns_pid <= 0 || z.ns_pgid <= 0 || z.ns_sid <= 0)
        fail("zombie child {} of process {}: ids {}/{}/{} are not positive", z.pid, parent_pid, z.ns_pid, z.ns_pgid, z.ns_sid);
    if (!exited && !signaled)
        fail("zombie child {} of process {}: wait status {:#x} is neither an exit nor a terminating signal", z.ns_pid,
             parent_pid, z.wait_status);
    if (z.exit_signal < 0 || z.exit_signal > kNumSignals)
        fail("zombie child {} of process {}: exit signal {} is not a signal", z.ns_pid, parent_pid, z.exit_signal);
}

void make_zombie_exit(pid_t child, const ZombieRecord& z) {
    uint64_t insn = find_vdso_syscall(child);
    if ((z.wait_status & 0x7f) == 0) {
        user_regs_struct regs = get_gp_registers(child);
        regs.rip = insn;
        regs.rax = SYS_exit_group;
        regs.orig_rax = static_cast<uint64_t>(-1);
        regs.rdi = static_cast<uint64_t>((z.wait_status >> 8) & 0xff);
        set_gp_registers(child, regs);
        if (::ptrace(PTRACE_CONT, child, nullptr, nullptr) != 0) throw_errno("starting the exit of zombie {}", z.ns_pid);
        wait_death(child, z.wait_status);
        return;
    }
    int sig = z.wait_status & 0x7f;
    if (sig != SIGKILL) {
        // The default action, no core file, and nothing blocked (a fork made
        // under injection inherits a mask that blocks everything).
        Injector inj(child, insn);
        RemoteScratch scratch(inj, 4096);
        SigactionRecord dfl{};
        inj.checked(fmt::format("rt_sigaction({}, SIG_DFL) in zombie {}", sig, z.ns_pid), SYS_rt_sigaction, sig,
                    scratch.put(0, dfl), 0, 8);
        inj.checked(fmt::format("prctl(PR_SET_DUMPABLE, 0) in zombie {}", z.ns_pid), SYS_prctl, PR_SET_DUMPABLE, 0);
        scratch.release();
        inj.finish();
        set_sigmask(child, 0);
    }
    if (::syscall(SYS_tgkill, child, child, sig) != 0) throw_errno("sending signal {} to zombie-to-be {}", sig, z.ns_pid);
    if (sig != SIGKILL && ::ptrace(PTRACE_CONT, child, nullptr, nullptr) != 0)
        throw_errno("resuming zombie-to-be {} into signal {}", z.ns_pid, sig);
    wait_death(child, z.wait_status);
}

void end_id_holder(pid_t child) {
    if (::kill(child, SIGKILL) != 0) throw_errno("ending the id holder {}", child);
    wait_death(child, SIGKILL);
}

void reap_child(SeizedProcess& parent, int32_t ns_pid) {
    Injector inj(parent.live_tid());
    inj.checked(fmt::format("wait4({}) in process {}", ns_pid, parent.pid()), SYS_wait4, static_cast<uint64_t>(ns_pid), 0,
                __WALL, 0);
    inj.finish();
}

void drop_child_signals(SeizedProcess& parent, uint64_t sigs) {
    Injector inj(parent.live_tid());
    RemoteScratch scratch(inj, 4096);
    uint64_t set = scratch.put(0, sigs);
    uint64_t zero = scratch.put(64, timespec{});
    // Real-time exit signals queue once per child: take until none is left.
    for (int i = 0; i < 4096; ++i) {
        long rc = inj.syscall(SYS_rt_sigtimedwait, set, 0, zero, 8);
        if (rc == -EAGAIN) break;
        if (rc < 0) fail("rt_sigtimedwait in process {} failed: errno {}", parent.pid(), -rc);
    }
    scratch.release();
    inj.finish();
}

}  // namespace myrt::cr
