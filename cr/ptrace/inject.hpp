#pragma once
// Running syscalls inside a stopped tracee. The tracee executes a real
// `syscall` instruction at an address of its own (one found in its [vdso] on
// the checkpoint side, a restorer page we map during restore), with our
// arguments in its registers; PTRACE_SYSCALL stops it at syscall entry and
// exit, where we read the result (or, on the restorer page, where `int3`
// follows the `syscall`, PTRACE_CONT runs it to the int3: one stop instead of
// two). Its registers and blocked mask are saved first and put back afterwards.
//
// Why the vDSO: it is mapped executable in every task, needs no write to the
// task's memory, and its clock fallbacks contain `syscall`. During restore the
// vDSO is moved, so the restorer maps its own page holding `syscall` at an
// address free in both the old and the new layout.
#include <sys/types.h>
#include <sys/user.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace myrt::cr {

// Address of a `syscall` instruction (0f 05) inside the task's [vdso].
uint64_t find_vdso_syscall(pid_t pid);

class Injector {
public:
    // The task must be in a ptrace stop (seized by us). All signals are
    // blocked while injecting so that none is delivered into the middle.
    Injector(pid_t tid, uint64_t syscall_insn);
    explicit Injector(pid_t tid);
    Injector(const Injector&) = delete;
    Injector& operator=(const Injector&) = delete;
    // Puts back the registers and blocked mask (best effort; see finish()).
    ~Injector();

    pid_t tid() const noexcept { return tid_; }
    // Raw result: negative values are -errno.
    long syscall(long nr, uint64_t a1 = 0, uint64_t a2 = 0, uint64_t a3 = 0, uint64_t a4 = 0,
                 uint64_t a5 = 0, uint64_t a6 = 0);
    // As syscall(), but a negative result throws naming `what`.
    long checked(std::string_view what, long nr, uint64_t a1 = 0, uint64_t a2 = 0, uint64_t a3 = 0,
                 uint64_t a4 = 0, uint64_t a5 = 0, uint64_t a6 = 0);
    // The syscall address, and whether `int3` follows it there (the restorer
    // page: `syscall; int3`). With the int3 the task runs the syscall and
    // traps right after it: one stop per syscall, where PTRACE_SYSCALL needs
    // two (entry and exit). SIGTRAP is then left unblocked while the task
    // runs, so the caller must know that the task neither ignores SIGTRAP
    // (the trap would reset the handler to SIG_DFL) nor has one pending (it
    // would be taken for the trap); a stop that is not our int3 fails.
    void set_syscall_insn(uint64_t addr, bool int3_follows = false);
    uint64_t syscall_insn() const noexcept { return insn_; }
    bool int3_follows() const noexcept { return int3_follows_; }
    // Runs the task's own code from `entry` with `rbx` set, until the int3
    // whose trap leaves rip at `trap_rip` (needs int3 stops, see above).
    // Returns the registers at the trap. For code in the restorer page.
    user_regs_struct run_code(uint64_t entry, uint64_t trap_rip, uint64_t rbx, std::string_view what);
    // Registers and mask as found when the injector was created.
    const user_regs_struct& saved_regs() const noexcept { return saved_; }
    uint64_t saved_sigmask() const noexcept { return saved_mask_; }
    // The new task's id reported by the last injected clone/clone3 (TRACECLONE).
    std::optional<pid_t> last_clone_child() const noexcept { return clone_child_; }
    // Restores registers and mask now; throws on failure.
    void finish();
    // Leaves registers and mask as they are: the restorer sets the final ones.
    void abandon() noexcept { done_ = true; }

private:
    void wait_syscall_stop(std::string_view phase, long nr);
    // `code` names what runs; empty: the injected syscall `nr`.
    user_regs_struct wait_int3_stop(uint64_t trap_rip, long nr, std::string_view code);
    void set_blocked(uint64_t mask, std::string_view why);
    pid_t tid_;
    uint64_t insn_;
    user_regs_struct saved_{};
    uint64_t saved_mask_ = 0;
    bool int3_follows_ = false;
    bool ran_ = false;
    bool done_ = false;
    std::optional<pid_t> clone_child_;
};

// One-shot convenience: a fresh Injector using the task's vDSO.
template <class... A>
long inject_syscall(pid_t tid, long nr, A... args) {
    Injector inj(tid);
    long rc = inj.syscall(nr, static_cast<uint64_t>(args)...);
    inj.finish();
    return rc;
}

// An anonymous RW mapping inside the tracee for syscall arguments and results
// (structs, strings), filled and read with process_vm_writev/readv.
class RemoteScratch {
public:
    RemoteScratch(Injector& inj, size_t size);
    RemoteScratch(const RemoteScratch&) = delete;
    RemoteScratch& operator=(const RemoteScratch&) = delete;
    ~RemoteScratch();

    uint64_t addr() const noexcept { return addr_; }
    size_t size() const noexcept { return size_; }
    void write(size_t offset, std::span<const std::byte> data);
    void read(size_t offset, std::span<std::byte> out);
    // Writes a NUL-terminated string and returns its remote address.
    uint64_t put_string(size_t offset, std::string_view s);
    template <class T>
    uint64_t put(size_t offset, const T& v) {
        write(offset, std::as_bytes(std::span<const T, 1>(&v, 1)));
        return addr_ + offset;
    }
    template <class T>
    T get(size_t offset) {
        T v{};
        read(offset, std::as_writable_bytes(std::span<T, 1>(&v, 1)));
        return v;
    }
    // Unmaps now; throws on failure.
    void release();

private:
    Injector& inj_;
    uint64_t addr_ = 0;
    size_t size_ = 0;
};

}  // namespace myrt::cr
