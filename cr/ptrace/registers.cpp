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

void normalize_interrupted_syscall(user_regs_struct& regs, bool for_image) {
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
            if (for_image) {
                // The kernel's restart_block (the absolute expiry) does not
                // survive, so the syscall is run again instead of failing
                // with EINTR. A relative nanosleep with a `rem` pointer has
                // had the time left copied there: it sleeps on from that.
                // The other users (poll, futex, nanosleep without `rem`)
                // wait their whole timeout again.
                if (regs.orig_rax == SYS_nanosleep && regs.rsi) regs.rdi = regs.rsi;
                if (regs.orig_rax == SYS_clock_nanosleep && regs.r10) regs.rdx = regs.r10;
                regs.rax = regs.orig_rax;
                regs.rip -= 2;
            } else {
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
