#pragma once
// A thread's CPU state through PTRACE_GETREGSET/SETREGSET: the general
// registers (NT_PRSTATUS, which on x86_64 includes fs_base/gs_base, i.e. TLS)
// and the extended state (NT_X86_XSTATE, the XSAVE area; NT_PRFPREG, the
// legacy FXSAVE area, where XSAVE is unavailable).
#include <sys/types.h>
#include <sys/user.h>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace myrt::cr {

enum class FpuFormat : uint32_t { xsave = 1, fxsave = 2 };

struct Registers {
    user_regs_struct gp{};
    FpuFormat fpu_format = FpuFormat::xsave;
    std::vector<std::byte> fpu;  // the XSAVE or FXSAVE image as the kernel gave it
};

// Size of the XSAVE area for every feature the CPU supports (CPUID 0xD, ECX).
size_t xsave_area_size();

user_regs_struct get_gp_registers(pid_t tid);
void set_gp_registers(pid_t tid, const user_regs_struct& regs);
Registers get_registers(pid_t tid);
void set_registers(pid_t tid, const Registers& regs);

// A thread stopped inside a syscall has rax = -ERESTART* and rip after the
// `syscall` instruction; only the kernel's signal path turns that into a
// restart. Rewrites the registers to what the thread would see once the
// kernel had done so, so they are valid wherever the thread resumes from.
// `for_image`: the kernel's restart_block does not survive a restore, so an
// interrupted restart_syscall-style call returns -EINTR instead.
void normalize_interrupted_syscall(user_regs_struct& regs, bool for_image);
// epoll_wait, epoll_pwait(2) and rt_sigtimedwait fail with EINTR when their
// task is stopped, even by PTRACE_INTERRUPT, where no restart code is used:
// a task seen so is set to run the syscall again (true if it was).
bool restart_eintr_from_stop(user_regs_struct& regs);

}  // namespace myrt::cr
