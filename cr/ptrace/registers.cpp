#include "cr/ptrace/registers.hpp"

#include <cpuid.h>
#include <elf.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include <cerrno>

#include "util/error.hpp"

namespace myrt::cr {
namespace {

// Kernel-internal restart codes (include/linux/errno.h), visible in rax of a
// thread stopped inside a syscall.
constexpr long kErestartSys = 512;
constexpr long kErestartNoIntr = 513;
constexpr long kErestartNoHand = 514;
constexpr long kErestartRestartBlock = 516;

}  // namespace

size_t xsave_area_size() {
    unsigned a = 0, b = 0, c = 0, d = 0;
    if (!__get_cpuid_count(0xd, 0, &a, &b, &c, &d) || c == 0) return 0;
    return c;
}

user_regs_struct get_gp_registers(pid_t tid) {
    user_regs_struct regs{};
    iovec iov{&regs, sizeof regs};
    if (::ptrace(PTRACE_GETREGSET, tid, reinterpret_cast<void*>(NT_PRSTATUS), &iov) != 0)
        throw_errno("PTRACE_GETREGSET NT_PRSTATUS of task {}", tid);
    return regs;
}

void set_gp_registers(pid_t tid, const user_regs_struct& regs) {
    user_regs_struct copy = regs;
    iovec iov{&copy, sizeof copy};
    if (::ptrace(PTRACE_SETREGSET, tid, reinterpret_cast<void*>(NT_PRSTATUS), &iov) != 0)
        throw_errno("PTRACE_SETREGSET NT_PRSTATUS of task {}", tid);
}

Registers get_registers(pid_t tid) {
    Registers r;
    r.gp = get_gp_registers(tid);
    if (size_t size = xsave_area_size()) {
        r.fpu.resize(size);
        iovec iov{r.fpu.data(), r.fpu.size()};
        if (::ptrace(PTRACE_GETREGSET, tid, reinterpret_cast<void*>(NT_X86_XSTATE), &iov) == 0) {
            r.fpu.resize(iov.iov_len);
            r.fpu_format = FpuFormat::xsave;
            return r;
        }
        if (errno != ENODEV && errno != EINVAL) throw_errno("PTRACE_GETREGSET NT_X86_XSTATE of task {}", tid);
    }
    r.fpu.resize(sizeof(user_fpregs_struct));
    iovec iov{r.fpu.data(), r.fpu.size()};
    if (::ptrace(PTRACE_GETREGSET, tid, reinterpret_cast<void*>(NT_PRFPREG), &iov) != 0)
        throw_errno("PTRACE_GETREGSET NT_PRFPREG of task {}", tid);
    r.fpu.resize(iov.iov_len);
    r.fpu_format = FpuFormat::fxsave;
    return r;
}

void set_registers(pid_t tid, const Registers& regs) {
    // Extended state first: NT_PRSTATUS is what decides where the thread resumes.
    if (!regs.fpu.empty()) {
        std::vector<std::byte> copy = regs.fpu;
        iovec iov{copy.data(), copy.size()};
        long type = regs.fpu_format == FpuFormat::xsave ? NT_X86_XSTATE : NT_PRFPREG;
        if (::ptrace(PTRACE_SETREGSET, tid, reinterpret_cast<void*>(type), &iov) != 0)
            throw_errno("PTRACE_SETREGSET {} of task {} ({} bytes)",
                        type == NT_X86_XSTATE ? "NT_X86_XSTATE" : "NT_PRFPREG", tid, copy.size());
    }
    set_gp_registers(tid, regs.gp);
}

// Interrupted syscalls whose restart_block can be done without: a relative
// nanosleep with a `rem` pointer had the time left copied there, so it sleeps
// on from that (the request becomes `rem`); poll without a timeout is simply
// called again. True if `regs` was adjusted for that.
static bool rerun_exactly(user_regs_struct& regs) {
    if (regs.orig_rax == SYS_nanosleep && regs.rsi) {
        regs.rdi = regs.rsi;
        return true;
    }
    if (regs.orig_rax == SYS_clock_nanosleep && regs.r10) {
        regs.rdx = regs.r10;
        return true;
    }
    return regs.orig_rax == SYS_poll && static_cast<int>(regs.rdx) < 0;
}

bool restart_eintr_from_stop(user_regs_struct& regs) {
    if (static_cast<long>(regs.orig_rax) < 0 || static_cast<long>(regs.rax) != -EINTR) return false;
    switch (regs.orig_rax) {
        case SYS_epoll_wait: case SYS_epoll_pwait: case SYS_epoll_pwait2: case SYS_rt_sigtimedwait:
            regs.rax = regs.orig_rax;
            regs.rip -= 2;
            regs.orig_rax = static_cast<unsigned long long>(-1);
            return true;
        default:
            return false;
    }
}

void normalize_interrupted_syscall(user_regs_struct& regs, bool for_image) {
    if (restart_eintr_from_stop(regs)) return;
    if (static_cast<long>(regs.orig_rax) < 0) return;
    long ret = -static_cast<long>(regs.rax);
    switch (ret) {
        case kErestartSys:
        case kErestartNoIntr:
        case kErestartNoHand:
            regs.rax = regs.orig_rax;
            regs.rip -= 2;
            break;
        case kErestartRestartBlock:
            if (rerun_exactly(regs)) {
                regs.rax = regs.orig_rax;
                regs.rip -= 2;
            } else if (for_image) {
                // The kernel's restart_block (the absolute expiry) does not
                // survive, so the syscall is run again with its arguments
                // (poll, futex and nanosleep without `rem` wait their whole
                // timeout again). A task already in restart_syscall (a
                // --leave-running checkpoint put it there) no longer says
                // which syscall it was: that one sees EINTR.
                if (regs.orig_rax == SYS_restart_syscall) {
                    regs.rax = static_cast<unsigned long long>(-EINTR);
                } else {
                    regs.rax = regs.orig_rax;
                    regs.rip -= 2;
                }
            } else {
                // A live task still has its restart_block: exact.
                regs.rax = SYS_restart_syscall;
                regs.rip -= 2;
            }
            break;
        default:
            break;
    }
    regs.orig_rax = static_cast<unsigned long long>(-1);
}

}  // namespace myrt::cr
