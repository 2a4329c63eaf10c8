#include "cr/ptrace/inject.hpp"

#include <signal.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <cstring>
#include <sstream>
#include <utility>
#include <vector>

#include "cr/ptrace/proc_scan.hpp"
#include "cr/ptrace/registers.hpp"
#include "cr/ptrace/remote_memory.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace myrt::cr {

uint64_t find_vdso_syscall(pid_t pid) {
    std::istringstream maps(read_proc_file(fmt::format("/proc/{}/maps", pid)));
    std::string line;
    while (std::getline(maps, line)) {
        if (line.find("[vdso]") == std::string::npos) continue;
        uint64_t start = 0, end = 0;
        if (std::sscanf(line.c_str(), "%lx-%lx", &start, &end) != 2 || end <= start) break;
        std::vector<std::byte> code(end - start);
        remote_read(pid, start, code);
        for (size_t i = 0; i + 1 < code.size(); ++i)
            if (code[i] == std::byte{0x0f} && code[i + 1] == std::byte{0x05}) return start + i;
        fail("the [vdso] of process {} contains no syscall instruction", pid);
    }
    fail("process {} has no [vdso] mapping to borrow a syscall instruction from", pid);
}

namespace {
constexpr uint64_t kAllSignals = ~uint64_t{0};
constexpr uint64_t kAllButSigtrap = ~(uint64_t{1} << (SIGTRAP - 1));
}  // namespace

Injector::Injector(pid_t tid, uint64_t syscall_insn) : tid_(tid), insn_(syscall_insn) {
    saved_ = get_gp_registers(tid);
    if (::ptrace(PTRACE_GETSIGMASK, tid, sizeof(uint64_t), &saved_mask_) != 0)
        throw_errno("PTRACE_GETSIGMASK of task {}", tid);
    set_blocked(kAllSignals, "block all");
}

void Injector::set_blocked(uint64_t mask, std::string_view why) {
    if (::ptrace(PTRACE_SETSIGMASK, tid_, sizeof(uint64_t), &mask) != 0)
        throw_errno("PTRACE_SETSIGMASK ({}) of task {}", why, tid_);
}

void Injector::set_syscall_insn(uint64_t addr, bool int3_follows) {
    // The int3's SIGTRAP must reach us as a signal stop: a blocked one would
    // be forced through with its handler reset.
    if (int3_follows != int3_follows_) set_blocked(int3_follows ? kAllButSigtrap : kAllSignals, "SIGTRAP for int3 stops");
    insn_ = addr;
    int3_follows_ = int3_follows;
}

Injector::Injector(pid_t tid) : Injector(tid, find_vdso_syscall(tid)) {}

Injector::~Injector() {
    if (done_) return;
    try {
        finish();
    } catch (const std::exception& e) {
        log::warn("restoring task {} after syscall injection failed: {}", tid_, e.what());
    }
}

void Injector::finish() {
    if (done_) return;
    done_ = true;
    if (ran_) {
        // We left the task at a syscall-exit stop, where the kernel no longer
        // turns -ERESTART* into a restart: hand it registers that already are.
        user_regs_struct regs = saved_;
        normalize_interrupted_syscall(regs, false);
        set_gp_registers(tid_, regs);
    }
    set_blocked(saved_mask_, "restore");
}

void Injector::wait_syscall_stop(std::string_view phase, long nr) {
    for (;;) {
        int st = 0;
        if (::waitpid(tid_, &st, __WALL) < 0) {
            if (errno == EINTR) continue;
            throw_errno("waiting for task {} at syscall {} {}", tid_, nr, phase);
        }
        if (WIFEXITED(st)) fail("task {} exited (status {}) during injected syscall {}", tid_, WEXITSTATUS(st), nr);
        if (WIFSIGNALED(st))
            fail("task {} was killed by signal {} during injected syscall {}", tid_, WTERMSIG(st), nr);
        if (!WIFSTOPPED(st)) continue;
        int sig = WSTOPSIG(st);
        int event = st >> 16;
        if (sig == (SIGTRAP | 0x80)) return;
        if (event == PTRACE_EVENT_CLONE || event == PTRACE_EVENT_FORK || event == PTRACE_EVENT_VFORK) {
            unsigned long msg = 0;
            ::ptrace(PTRACE_GETEVENTMSG, tid_, nullptr, &msg);
            clone_child_ = static_cast<pid_t>(msg);
        } else if (event != PTRACE_EVENT_STOP && event == 0) {
            // A signal the injected code raised (all others are blocked): the
            // syscall address or arguments are wrong. Never deliver it.
            siginfo_t si{};
            ::ptrace(PTRACE_GETSIGINFO, tid_, nullptr, &si);
            fail("task {} got signal {} (code {}, addr {}) during injected syscall {} at {:#x}", tid_, sig,
                 si.si_code, si.si_addr, nr, insn_);
        }
        if (::ptrace(PTRACE_SYSCALL, tid_, nullptr, nullptr) != 0)
            throw_errno("resuming task {} during injected syscall {}", tid_, nr);
    }
}

user_regs_struct Injector::wait_int3_stop(uint64_t trap_rip, long nr, std::string_view code) {
    // Named only when something goes wrong: this runs for every injected syscall.
    auto what = [&] { return code.empty() ? fmt::format("injected syscall {}", nr) : std::string(code); };
    for (;;) {
        int st = 0;
        if (::waitpid(tid_, &st, __WALL) < 0) {
            if (errno == EINTR) continue;
            throw_errno("waiting for task {} after {}", tid_, what());
        }
        if (WIFEXITED(st)) fail("task {} exited (status {}) during {}", tid_, WEXITSTATUS(st), what());
        if (WIFSIGNALED(st)) fail("task {} was killed by signal {} during {}", tid_, WTERMSIG(st), what());
        if (!WIFSTOPPED(st)) continue;
        int sig = WSTOPSIG(st);
        int event = st >> 16;
        if (event == PTRACE_EVENT_CLONE || event == PTRACE_EVENT_FORK || event == PTRACE_EVENT_VFORK) {
            unsigned long msg = 0;
            ::ptrace(PTRACE_GETEVENTMSG, tid_, nullptr, &msg);
            clone_child_ = static_cast<pid_t>(msg);
        } else if (event == 0) {
            // A signal stop: ours is the int3's SIGTRAP (SI_KERNEL) with rip
            // just past it. Anything else is never delivered.
            siginfo_t si{};
            ::ptrace(PTRACE_GETSIGINFO, tid_, nullptr, &si);
            if (sig == SIGTRAP && si.si_code == SI_KERNEL) {
                auto regs = get_gp_registers(tid_);
                if (regs.rip == trap_rip) return regs;
            }
            fail("task {} got signal {} (code {}, addr {}) during {}", tid_, sig, si.si_code, si.si_addr, what());
        }
        if (::ptrace(PTRACE_CONT, tid_, nullptr, nullptr) != 0) throw_errno("resuming task {} during {}", tid_, what());
    }
}

user_regs_struct Injector::run_code(uint64_t entry, uint64_t trap_rip, uint64_t rbx, std::string_view what) {
    if (done_) fail("injector for task {} is already finished", tid_);
    if (!int3_follows_) fail("running {} in task {} needs int3 stops", what, tid_);
    user_regs_struct regs = saved_;
    regs.rip = entry;
    regs.rbx = rbx;
    regs.orig_rax = static_cast<uint64_t>(-1);
    set_gp_registers(tid_, regs);
    ran_ = true;
    if (::ptrace(PTRACE_CONT, tid_, nullptr, nullptr) != 0) throw_errno("starting {} in task {}", what, tid_);
    return wait_int3_stop(trap_rip, -1, what);
}

long Injector::syscall(long nr, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5, uint64_t a6) {
    if (done_) fail("injector for task {} is already finished", tid_);
    user_regs_struct regs = saved_;
    regs.rip = insn_;
    regs.rax = static_cast<uint64_t>(nr);
    // orig_rax = -1 keeps the kernel from treating the stop we resume from as
    // an interrupted syscall to restart (which would move rip back by 2).
    regs.orig_rax = static_cast<uint64_t>(-1);
    regs.rdi = a1;
    regs.rsi = a2;
    regs.rdx = a3;
    regs.r10 = a4;
    regs.r8 = a5;
    regs.r9 = a6;
    set_gp_registers(tid_, regs);
    ran_ = true;
    if (int3_follows_) {
        if (::ptrace(PTRACE_CONT, tid_, nullptr, nullptr) != 0) throw_errno("starting injected syscall {} in task {}", nr, tid_);
        return static_cast<long>(wait_int3_stop(insn_ + 3, nr, {}).rax);
    }
    if (::ptrace(PTRACE_SYSCALL, tid_, nullptr, nullptr) != 0) throw_errno("starting injected syscall {} in task {}", nr, tid_);
    wait_syscall_stop("entry", nr);
    if (::ptrace(PTRACE_SYSCALL, tid_, nullptr, nullptr) != 0) throw_errno("running injected syscall {} in task {}", nr, tid_);
    wait_syscall_stop("exit", nr);
    return static_cast<long>(get_gp_registers(tid_).rax);
}

long Injector::checked(std::string_view what, long nr, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
                       uint64_t a5, uint64_t a6) {
    long rc = syscall(nr, a1, a2, a3, a4, a5, a6);
    if (rc < 0 && rc > -4096) throw SystemError(static_cast<int>(-rc), fmt::format("{} in task {}", what, tid_));
    return rc;
}

RemoteScratch::RemoteScratch(Injector& inj, size_t size) : inj_(inj) {
    size_ = (size + 4095) & ~size_t{4095};
    addr_ = static_cast<uint64_t>(inj.checked(fmt::format("mapping a {}-byte scratch area", size_), SYS_mmap, 0,
                                              size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                                              static_cast<uint64_t>(-1), 0));
}

RemoteScratch::~RemoteScratch() {
    if (!addr_) return;
    try {
        release();
    } catch (const std::exception& e) {
        log::warn("unmapping scratch area in task {}: {}", inj_.tid(), e.what());
    }
}

void RemoteScratch::release() {
    if (!addr_) return;
    uint64_t a = std::exchange(addr_, 0);
    inj_.checked(fmt::format("unmapping scratch area at {:#x}", a), SYS_munmap, a, size_);
}

void RemoteScratch::write(size_t offset, std::span<const std::byte> data) {
    if (offset + data.size() > size_) fail("scratch write of {} bytes at offset {} exceeds {} bytes", data.size(), offset, size_);
    remote_write(inj_.tid(), addr_ + offset, data);
}

void RemoteScratch::read(size_t offset, std::span<std::byte> out) {
    if (offset + out.size() > size_) fail("scratch read of {} bytes at offset {} exceeds {} bytes", out.size(), offset, size_);
    remote_read(inj_.tid(), addr_ + offset, out);
}

uint64_t RemoteScratch::put_string(size_t offset, std::string_view s) {
    std::vector<std::byte> buf(s.size() + 1);
    std::memcpy(buf.data(), s.data(), s.size());
    write(offset, buf);
    return addr_ + offset;
}

}  // namespace myrt::cr
