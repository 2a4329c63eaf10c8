#include "cr/task/restore_task.hpp"

#include <linux/capability.h>
#include <linux/prctl.h>
#include <linux/rseq.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <linux/securebits.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <cstring>

#include "cr/memory/cow_shared.hpp"
#include "cr/memory/pagemap.hpp"
#include "cr/memory/restore_memory.hpp"
#include "cr/ptrace/inject.hpp"
#include "cr/ptrace/proc_scan.hpp"
#include "cr/ptrace/registers.hpp"
#include "cr/ptrace/remote_memory.hpp"
#include "cr/ptrace/syscall_batch.hpp"
#include "cr/ptrace/thread_info.hpp"
#include "cr/task/posix_timers.hpp"
#include "cr/task/proc_status.hpp"
#include "util/error.hpp"

#ifndef SS_AUTODISARM
#define SS_AUTODISARM (1U << 31)
#endif

namespace myrt::cr {
namespace {

using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

template <class T>
uint64_t put(pid_t pid, uint64_t addr, const T& v) {
    remote_write_value(pid, addr, v);
    return addr;
}

uint64_t put_bytes(pid_t pid, uint64_t addr, const void* data, size_t len) {
    remote_write(pid, addr, std::span(static_cast<const std::byte*>(data), len));
    return addr;
}

void restore_mm(Injector& inj, const RestorerArea& area, const ProcessState& st) {
    const pid_t pid = inj.tid();
    const uint64_t auxv_at = area.scratch + 1024;
    const uint64_t path_at = area.scratch + 8192;
    size_t auxv_bytes = st.auxv.size() * 8;
    if (auxv_bytes > 8192 - 1024) fail("auxv of {} bytes is too large", auxv_bytes);
    put_bytes(pid, auxv_at, st.auxv.data(), auxv_bytes);
    put_bytes(pid, path_at, st.exe.c_str(), st.exe.size() + 1);
    long exe_fd = inj.checked(fmt::format("opening the executable {}", st.exe), SYS_openat,
                              static_cast<uint64_t>(AT_FDCWD), path_at, O_RDONLY | O_CLOEXEC);
    prctl_mm_map map{};
    const auto& mm = st.core.mm;
    map.start_code = mm.start_code;
    map.end_code = mm.end_code;
    map.start_data = mm.start_data;
    map.end_data = mm.end_data;
    map.start_brk = mm.start_brk;
    map.brk = mm.brk;
    map.start_stack = mm.start_stack;
    map.arg_start = mm.arg_start;
    map.arg_end = mm.arg_end;
    map.env_start = mm.env_start;
    map.env_end = mm.env_end;
    map.auxv = reinterpret_cast<__u64*>(auxv_at);
    map.auxv_size = static_cast<__u32>(auxv_bytes);
    map.exe_fd = static_cast<__u32>(exe_fd);
    put(pid, area.scratch, map);
    // PR_SET_MM_MAP is the one form allowed without CAP_SYS_RESOURCE.
    long rc = inj.syscall(SYS_prctl, PR_SET_MM, PR_SET_MM_MAP, area.scratch, sizeof map, 0);
    inj.syscall(SYS_close, static_cast<uint64_t>(exe_fd));
    if (rc < 0)
        throw SystemError(static_cast<int>(-rc), fmt::format("prctl(PR_SET_MM_MAP) (brk {:#x}, stack {:#x}, exe {}) in task {}",
                                                             mm.brk, mm.start_stack, st.exe, pid));
}

SyscallBatch batch_in(const RestorerArea& area) { return SyscallBatch(area.batch_loop, area.scratch, area.scratch_size); }

void restore_process_wide(Injector& inj, const RestorerArea& area, const ProcessState& st) {
    const pid_t pid = inj.tid();
    const auto& core = st.core;
    auto now = parse_limits(read_proc_file(fmt::format("/proc/{}/limits", pid)));
    bool chroot = read_link(fmt::format("/proc/{}/root", pid)) != st.root;
    auto batch = batch_in(area);
    batch.add("umask", SYS_umask, core.umask);
    batch.add("personality", SYS_personality, core.personality);
    if (chroot) batch.add(fmt::format("chroot {}", st.root), SYS_chroot, batch.put_string(st.root));
    batch.add(fmt::format("chdir {}", st.cwd), SYS_chdir, batch.put_string(st.cwd));
    for (int r = 0; r < kNumRlimits; ++r) {
        const auto& want = core.rlimits[r];
        if (want.cur == now[static_cast<size_t>(r)].cur && want.max == now[static_cast<size_t>(r)].max) continue;
        batch.add(fmt::format("prlimit64 of resource {} to {}/{}", r, want.cur, want.max), SYS_prlimit64, 0, r,
                  batch.put(want), 0);
    }
    for (int which = 0; which < 3; ++which) {
        const auto& t = core.itimers[which];
        itimerval v{{t.interval_sec, t.interval_usec}, {t.value_sec, t.value_usec}};
        // A periodic ITIMER_REAL that fired while the task was frozen reads
        // as 0 left: the kernel re-arms it only when SIGALRM is dequeued
        // (the signal itself is re-queued with the others). Arming it one
        // interval ahead keeps it periodic.
        if (!t.value_sec && !t.value_usec) {
            if (!t.interval_sec && !t.interval_usec) continue;
            v.it_value = v.it_interval;
        }
        batch.add(fmt::format("setitimer({})", which), SYS_setitimer, which, batch.put(v), 0);
    }
    for (int sig = 1; sig <= kNumSignals; ++sig) {
        if (sig == SIGKILL || sig == SIGSTOP) continue;
        batch.add(fmt::format("rt_sigaction({})", sig), SYS_rt_sigaction, sig, batch.put(core.sigactions[sig - 1]), 0, 8);
    }
    if (core.dumpable <= 1) batch.add("prctl(PR_SET_DUMPABLE)", SYS_prctl, PR_SET_DUMPABLE, core.dumpable);
    batch.add("prctl(PR_SET_CHILD_SUBREAPER)", SYS_prctl, PR_SET_CHILD_SUBREAPER, core.child_subreaper);
    if (st.tuning.present && st.tuning.thp_disable) batch.add("prctl(PR_SET_THP_DISABLE)", SYS_prctl, PR_SET_THP_DISABLE, 1, 0, 0, 0);
    batch.run(inj);
}

// Adds a thread with the dumped tid: clone3 set_tid from the leader; with
// PTRACE_O_TRACECLONE the new thread starts traced and stopped.
pid_t create_thread(Injector& leader, const RestorerArea& area, const ThreadCoreRecord& t) {
    const pid_t pid = leader.tid();
    pid_t want = t.ns_tid;
    uint64_t tid_at = put(pid, area.scratch + 512, want);
    clone_args args{};
    args.flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM;
    args.set_tid = tid_at;
    args.set_tid_size = 1;
    put(pid, area.scratch, args);
    leader.checked(fmt::format("clone3 of thread {}", want), SYS_clone3, area.scratch, sizeof args);
    auto child = leader.last_clone_child();
    if (!child) fail("clone3 of thread {} reported no PTRACE_EVENT_CLONE", want);
    for (;;) {
        int st = 0;
        if (::waitpid(*child, &st, __WALL) < 0) {
            if (errno == EINTR) continue;
            throw_errno("waiting for the new thread {} to stop", *child);
        }
        if (WIFSTOPPED(st) && (st >> 16) == PTRACE_EVENT_STOP) return *child;
        if (!WIFSTOPPED(st)) fail("new thread {} died before it stopped", *child);
        ::ptrace(PTRACE_CONT, *child, nullptr, nullptr);
    }
}

void restore_thread_local(Injector& inj, const RestorerArea& area, const ThreadCoreRecord& t) {
    auto batch = batch_in(area);
    stack_t ss{};
    ss.ss_sp = reinterpret_cast<void*>(t.altstack_sp);
    ss.ss_size = t.altstack_size;
    ss.ss_flags = t.altstack_flags & (SS_DISABLE | SS_AUTODISARM);
    if (!(ss.ss_flags & SS_DISABLE)) batch.add("sigaltstack", SYS_sigaltstack, batch.put(ss), 0);
    batch.add("set_robust_list", SYS_set_robust_list, t.robust_list_head, t.robust_list_len);
    batch.add(fmt::format("set_tid_address({:#x})", t.clear_child_tid), SYS_set_tid_address, t.clear_child_tid);
    batch.add("prctl(PR_SET_PDEATHSIG)", SYS_prctl, PR_SET_PDEATHSIG, static_cast<uint64_t>(t.pdeath_signal));
    batch.add("prctl(PR_SET_NAME)", SYS_prctl, PR_SET_NAME, batch.put_bytes(t.comm, sizeof t.comm));
    if (t.rseq_abi_pointer)
        // The same area and signature: code built for rseq aborts to handlers
        // that check the signature, and the area is where libc looks.
        batch.add(fmt::format("rseq registration at {:#x}", t.rseq_abi_pointer), SYS_rseq, t.rseq_abi_pointer,
                  t.rseq_abi_size, 0, t.rseq_signature);
    batch.run(inj);
}

int last_cap() {
    return std::stoi(read_proc_file("/proc/sys/kernel/cap_last_cap"));
}

// Credentials are per thread in the kernel, so every thread runs this with
// its own. The order keeps the privileges each step needs until the step is
// done.
void restore_creds(Injector& inj, const RestorerArea& area, const CredsRecord& c, const std::vector<uint32_t>& groups) {
    long bits_now = inj.checked("prctl(PR_GET_SECUREBITS)", SYS_prctl, PR_GET_SECUREBITS);
    auto batch = batch_in(area);
    const uint64_t transition = SECBIT_KEEP_CAPS | SECBIT_NO_SETUID_FIXUP;
    if (static_cast<uint64_t>(bits_now) != transition)
        batch.add("prctl(PR_SET_SECUREBITS) for the uid switch", SYS_prctl, PR_SET_SECUREBITS, transition);
    batch.add("setgroups", SYS_setgroups, groups.size(), batch.put_bytes(groups.data(), groups.size() * 4));
    batch.add("setresgid", SYS_setresgid, c.gid[0], c.gid[1], c.gid[2]);
    batch.add_unchecked(SYS_setfsgid, c.gid[3]);
    batch.add("setresuid", SYS_setresuid, c.uid[0], c.uid[1], c.uid[2]);
    batch.add_unchecked(SYS_setfsuid, c.uid[3]);
    const int top_cap = last_cap();
    for (int cap = 0; cap <= top_cap; ++cap)
        if (!(c.cap_bounding & (1ull << cap)))
            batch.add(fmt::format("dropping capability {} from the bounding set", cap), SYS_prctl, PR_CAPBSET_DROP, cap);
    batch.add("prctl(PR_SET_SECUREBITS)", SYS_prctl, PR_SET_SECUREBITS, c.securebits);
    __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2]{};
    for (int i = 0; i < 2; ++i) {
        data[i].effective = static_cast<__u32>(c.cap_effective >> (32 * i));
        data[i].permitted = static_cast<__u32>(c.cap_permitted >> (32 * i));
        data[i].inheritable = static_cast<__u32>(c.cap_inheritable >> (32 * i));
    }
    uint64_t hdr_at = batch.put(hdr);
    batch.add("capset", SYS_capset, hdr_at, batch.put(data));
    batch.add("clearing ambient capabilities", SYS_prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
    for (int cap = 0; cap <= top_cap; ++cap)
        if (c.cap_ambient & (1ull << cap))
            batch.add(fmt::format("raising ambient capability {}", cap), SYS_prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE,
                      cap, 0, 0);
    if (c.no_new_privs) batch.add("prctl(PR_SET_NO_NEW_PRIVS)", SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    batch.run(inj);
}

// Each thread queues its own: the kernel lets only a thread itself queue a
// siginfo that claims to come from kill or tgkill (si_code >= 0 or SI_TKILL).
void queue_thread_pending(Injector& inj, const RestorerArea& area, const ThreadState& t) {
    if (t.pending.empty()) return;
    long tgid = inj.checked("getpid", SYS_getpid);
    for (const auto& si : t.pending) {
        put(inj.tid(), area.scratch, si);
        inj.checked(fmt::format("re-queueing signal {} for thread {}", si.si_signo, t.core.ns_tid),
                    SYS_rt_tgsigqueueinfo, tgid, t.core.ns_tid, si.si_signo, area.scratch);
    }
}

void queue_shared_pending(Injector& leader, const RestorerArea& area, const ProcessState& st) {
    const pid_t pid = leader.tid();
    long tgid = leader.checked("getpid", SYS_getpid);
    for (const auto& si : st.shared_pending) {
        put(pid, area.scratch, si);
        leader.checked(fmt::format("re-queueing shared signal {}", si.si_signo), SYS_rt_sigqueueinfo, tgid,
                       si.si_signo, area.scratch);
    }
}

void install_seccomp(Injector& leader, uint64_t scratch, const ProcessState& st) {
    const pid_t pid = leader.tid();
    // In dump order, which is install order: the newest filter's errno wins
    // among equal actions, so the order is observable.
    for (auto it = st.seccomp.begin(); it != st.seccomp.end(); ++it) {
        uint64_t insns_at = scratch + 64;
        if (it->size() * sizeof(sock_filter) > 60 * 1024) fail("a seccomp filter of {} instructions is too large", it->size());
        put_bytes(pid, insns_at, it->data(), it->size() * sizeof(sock_filter));
        sock_fprog prog{static_cast<unsigned short>(it->size()), reinterpret_cast<sock_filter*>(insns_at)};
        put(pid, scratch, prog);
        leader.checked("installing a seccomp filter", SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC,
                       scratch);
    }
}

// Runs exit(0) in one thread and detaches at the syscall-entry stop: a
// thread-group leader's exit is not reported while other threads live, so
// there is nothing to wait for.
void exit_thread(pid_t tid, uint64_t syscall_insn) {
    user_regs_struct regs = get_gp_registers(tid);
    regs.rip = syscall_insn;
    regs.rax = SYS_exit;
    regs.orig_rax = static_cast<uint64_t>(-1);
    regs.rdi = 0;
    set_gp_registers(tid, regs);
    if (::ptrace(PTRACE_SYSCALL, tid, nullptr, nullptr) != 0) throw_errno("starting exit of thread {}", tid);
    for (;;) {
        int st = 0;
        if (::waitpid(tid, &st, __WALL) < 0) {
            if (errno == EINTR) continue;
            throw_errno("waiting for thread {} to enter exit", tid);
        }
        if (WIFSTOPPED(st) && WSTOPSIG(st) == (SIGTRAP | 0x80)) break;
        if (!WIFSTOPPED(st)) fail("thread {} ended before its injected exit", tid);
        if (::ptrace(PTRACE_SYSCALL, tid, nullptr, nullptr) != 0) throw_errno("resuming thread {} into exit", tid);
    }
    if (::ptrace(PTRACE_DETACH, tid, nullptr, nullptr) != 0) throw_errno("detaching exiting thread {}", tid);
}

// Whether injected syscalls may end at the restorer's int3 (one stop each
// instead of two): not while SIGTRAP is ignored, whose handler the trap would
// reset, or pending, where it would be taken for the trap.
bool int3_stops_allowed(pid_t pid, const ProcessState& st) {
    const uint64_t bit = uint64_t{1} << (SIGTRAP - 1);
    if (st.core.sigactions[SIGTRAP - 1].handler == reinterpret_cast<uint64_t>(SIG_IGN)) return false;
    auto has_trap = [](const std::vector<siginfo_t>& q) {
        return std::any_of(q.begin(), q.end(), [](const siginfo_t& si) { return si.si_signo == SIGTRAP; });
    };
    if (has_trap(st.shared_pending)) return false;
    for (const auto& t : st.threads)
        if (has_trap(t.pending)) return false;
    auto now = read_status(fmt::format("/proc/{}/status", pid));
    for (const char* key : {"SigIgn", "SigPnd", "ShdPnd"}) {
        auto v = status_numbers(now, key, 16);
        if (v.empty() || (static_cast<uint64_t>(v[0]) & bit)) return false;
    }
    return true;
}

}  // namespace

RestoreTimings restore_process(SeizedProcess& fresh, const ProcessState& state, const MemoryContents& memory) {
    MemoryContentsSource source(memory);
    return restore_process(fresh, state, source);
}

RestoreTimings restore_process(SeizedProcess& fresh, const ProcessState& state, PageSource& pages) {
    auto as = restore_address_space(fresh, state, pages);
    return restore_process_state(fresh, state, as, pages);
}

RestoredAddressSpace restore_address_space(SeizedProcess& fresh, const ProcessState& state, PageSource& pages,
                                           const std::vector<PageRun>& inherited) {
    auto t0 = Clock::now();
    RestoredAddressSpace out;
    RestoreTimings& timings = out.timings;
    if (fresh.threads().size() != 1) fail("restore needs a single-threaded placeholder, process {} has {}", fresh.pid(), fresh.threads().size());
    if (state.threads.empty()) fail("the dumped process has no threads");
    const pid_t pid = fresh.pid();
    auto placeholder_ns = status_numbers(read_status(fmt::format("/proc/{}/status", pid)), "NSpid").back();
    const auto& ids = state.core.ids;
    if (ids.ns_depth < 1 || ids.ns_depth > kMaxPidNsDepth) fail("image has a pid namespace depth of {}", ids.ns_depth);
    if (placeholder_ns != ids.ns_pid[ids.ns_depth - 1])
        fail("placeholder {} has pid {} in its namespace but the image needs {}", pid, placeholder_ns, ids.ns_pid[ids.ns_depth - 1]);
    if (!state.core.leader_exited && state.threads[0].core.ns_tid != ids.ns_pid[ids.ns_depth - 1])
        fail("the image's first thread {} is not its leader {}", state.threads[0].core.ns_tid, ids.ns_pid[ids.ns_depth - 1]);
    if (state.seccomp.size() > 0 && state.core.seccomp_mode != 2) fail("image has seccomp filters but mode {}", state.core.seccomp_mode);
    if (state.core.seccomp_mode == 1) fail("strict seccomp mode cannot be restored");
    if (state.core.leader_exited &&
        std::none_of(state.vmas.begin(), state.vmas.end(), [](auto& v) { return v.rec.kind == VmaKind::vdso; }))
        fail("a process whose leader exited can only be restored with a vDSO to run the leader's exit from");

    Injector leader(pid);
    // The placeholder inherited its parent's rseq registration, in memory
    // that is about to disappear: the kernel would fault writing to it.
    auto inherited_rseq = get_rseq_config(pid);
    if (inherited_rseq.abi_pointer)
        leader.checked("unregistering the inherited rseq area", SYS_rseq, inherited_rseq.abi_pointer, inherited_rseq.abi_size,
                       RSEQ_FLAG_UNREGISTER, inherited_rseq.signature);

    auto t_mem = Clock::now();
    auto current = read_vmas(pid);
    const uint64_t area_size = kPageSize + kRestorerScratchSize;
    uint64_t base = find_free_range({&current, &state.vmas}, area_size);
    RestorerArea area = install_restorer(leader, base);
    const bool int3_stops = int3_stops_allowed(pid, state);
    if (int3_stops) leader.set_syscall_insn(area.base, true);
    std::vector<Vma> area_layout(1);
    area_layout[0].rec.start = area.base;
    area_layout[0].rec.end = area.base + area.size();
    uint64_t vdso_total = 0;
    for (const auto& v : current)
        if (v.rec.kind == VmaKind::vdso || v.rec.kind == VmaKind::vvar || v.rec.kind == VmaKind::vvar_vclock)
            vdso_total += v.size();
    uint64_t temp = find_free_range({&current, &state.vmas, &area_layout}, std::max<uint64_t>(vdso_total, kPageSize));
    HasContents has = [&pages](const Vma& v) { return pages.has_contents(v); };
    // Pages inherited from the parent by fork: their VMAs stay as the fork
    // left them (checked to be private anonymous memory here too), the rest
    // of those VMAs is dropped and filled from the image like any other.
    std::vector<bool> kept(state.vmas.size(), false);
    std::vector<std::pair<uint64_t, uint64_t>> keep;
    for (const auto& r : inherited) {
        auto after = std::upper_bound(state.vmas.begin(), state.vmas.end(), r.start,
                                      [](uint64_t a, const Vma& v) { return a < v.rec.start; });
        uint64_t end = r.start + r.npages * kPageSize;
        if (after == state.vmas.begin() || !is_private_anon(*std::prev(after)) || end > std::prev(after)->rec.end)
            fail("process {}: pages {:#x}-{:#x} shared with its parent lie outside its private anonymous memory", pid,
                 r.start, end);
        size_t k = static_cast<size_t>(std::prev(after) - state.vmas.begin());
        if (kept[k]) continue;
        const auto& v = state.vmas[k];
        if (!covered_by_private_anon(current, v.rec.start, v.rec.end))
            fail("process {}: its parent's restored memory does not cover {:#x}-{:#x}, whose pages they share", pid,
                 v.rec.start, v.rec.end);
        kept[k] = true;
        keep.emplace_back(v.rec.start, v.rec.end);
    }
    clear_address_space(leader, current, area, keep);
    place_vdso(leader, current, state.vmas, temp);
    if (keep.empty()) {
        map_vmas(leader, area, state.vmas, has);
    } else {
        std::vector<Vma> to_map;
        for (size_t k = 0; k < state.vmas.size(); ++k)
            if (!kept[k]) to_map.push_back(state.vmas[k]);
        map_vmas(leader, area, to_map, has);
        // Kept VMAs: the process's protection (writable while it is filled)
        // and every page not shared with the parent dropped, so the image's
        // pages go into empty ones and absent pages read as zero again.
        SyscallBatch batch = batch_in(area);
        size_t r = 0;
        for (size_t k = 0; k < state.vmas.size(); ++k) {
            if (!kept[k]) continue;
            const auto& v = state.vmas[k];
            uint64_t prot = v.rec.prot | (has(v) ? PROT_READ | PROT_WRITE : 0);
            batch.add(fmt::format("protection of inherited {:#x}-{:#x}", v.rec.start, v.rec.end), SYS_mprotect,
                      v.rec.start, v.size(), prot);
            while (r < inherited.size() && inherited[r].start + inherited[r].npages * kPageSize <= v.rec.start) ++r;
            uint64_t at = v.rec.start;
            for (; r < inherited.size() && inherited[r].start < v.rec.end; ++r) {
                if (inherited[r].start > at)
                    batch.add(fmt::format("dropping {:#x}-{:#x}, not shared with the parent", at, inherited[r].start),
                              SYS_madvise, at, inherited[r].start - at, MADV_DONTNEED);
                at = inherited[r].start + inherited[r].npages * kPageSize;
            }
            if (at < v.rec.end)
                batch.add(fmt::format("dropping {:#x}-{:#x}, not shared with the parent", at, v.rec.end), SYS_madvise,
                          at, v.rec.end - at, MADV_DONTNEED);
        }
        batch.run(leader);
    }
    auto t_fill = Clock::now();
    auto filled = fill_memory(leader, state.vmas, pages);
    timings.fill_ms = ms_since(t_fill);
    timings.bytes = filled.bytes;
    timings.copied_bytes = filled.copied_bytes;
    timings.address_space_ms = ms_since(t_mem);
    out.area = area;
    out.int3_stops = int3_stops;
    leader.finish();
    timings.total_ms = ms_since(t0);
    return out;
}

RestoreTimings restore_process_state(SeizedProcess& fresh, const ProcessState& state, const RestoredAddressSpace& as,
                                     PageSource& pages) {
    auto t0 = Clock::now();
    RestoreTimings timings = as.timings;
    const pid_t pid = fresh.pid();
    const RestorerArea& area = as.area;
    const bool int3_stops = as.int3_stops;
    Injector leader(pid, area.base);
    if (int3_stops) leader.set_syscall_insn(area.base, true);
    HasContents has = [&pages](const Vma& v) { return pages.has_contents(v); };
    auto t_fin = Clock::now();
    finalize_vmas(leader, area, state.vmas, has);
    timings.address_space_ms += ms_since(t_fin);

    restore_mm(leader, area, state);
    restore_process_wide(leader, area, state);

    // With a leader that had exited, the placeholder plays the leader until
    // the end and every dumped thread is created; otherwise the placeholder
    // is dumped thread 0. fresh.threads()[i + off] is state.threads[i].
    const bool leader_dumped = !state.core.leader_exited;
    const size_t off = leader_dumped ? 0 : 1;
    for (size_t i = leader_dumped ? 1 : 0; i < state.threads.size(); ++i) {
        pid_t tid = create_thread(leader, area, state.threads[i].core);
        fresh.add_thread(SeizedTask::adopt_stopped(tid));
    }
    // Per-thread state, each thread running its own syscalls.
    auto in_each_thread = [&](const std::function<void(Injector&, const ThreadState&)>& fn) {
        for (size_t i = 0; i < state.threads.size(); ++i) {
            if (i == 0 && leader_dumped) {
                fn(leader, state.threads[0]);
                continue;
            }
            Injector inj(fresh.threads()[i + off].tid(), area.base);
            if (int3_stops) inj.set_syscall_insn(area.base, true);
            fn(inj, state.threads[i]);
            inj.abandon();
        }
    };
    in_each_thread([&](Injector& inj, const ThreadState& t) {
        restore_thread_local(inj, area, t.core);
        queue_thread_pending(inj, area, t);
    });
    queue_shared_pending(leader, area, state);
    // Once every thread exists (a timer may signal one of them); armed with
    // what they had left, so they go on counting from there.
    restore_posix_timers(leader, area.scratch, state);
    // Seccomp as late as possible: a container filter may forbid what restore
    // still does. Without no_new_privs, installing a filter needs
    // CAP_SYS_ADMIN, which the restored credentials may no longer have: then
    // the filters go in first, as runc loads them before dropping
    // capabilities (the profile must allow the credential syscalls, which
    // the default profiles do). Otherwise the final munmap runs through the
    // vDSO's syscall (now at its dumped place), so the filters only see that
    // one munmap, which libc itself needs anyway.
    const auto& creds = state.core.creds;
    const bool filters_need_admin =
        !creds.no_new_privs && !(creds.cap_effective & (1ull << CAP_SYS_ADMIN)) && !state.seccomp.empty();
    if (filters_need_admin) install_seccomp(leader, area.scratch, state);
    in_each_thread([&](Injector& inj, const ThreadState& t) { restore_creds(inj, area, t.creds, t.groups); });
    if (!filters_need_admin) install_seccomp(leader, area.scratch, state);
    bool have_vdso = std::any_of(state.vmas.begin(), state.vmas.end(), [](auto& v) { return v.rec.kind == VmaKind::vdso; });
    // Without a vDSO the restorer page unmaps itself: the syscall completes
    // and the final registers are set before the thread returns to user.
    // Never through the int3: the task would return to the page it unmapped.
    leader.set_syscall_insn(have_vdso ? find_vdso_syscall(pid) : area.base, false);
    leader.checked("unmapping the restorer area", SYS_munmap, area.base, area.size());
    leader.abandon();

    for (size_t i = 0; i < state.threads.size(); ++i) {
        const auto& t = state.threads[i];
        pid_t tid = fresh.threads()[i + off].tid();
        set_sigmask(tid, t.core.blocked);
        Registers regs;
        regs.gp = t.core.regs;
        regs.fpu_format = static_cast<FpuFormat>(t.core.fpu_format);
        regs.fpu = t.fpu;
        set_registers(tid, regs);
    }
    // The leader that had called pthread_exit does so again: the process is
    // once more a zombie leader with live threads.
    if (!leader_dumped) {
        exit_thread(pid, find_vdso_syscall(pid));
        fresh.threads()[0].release();
    }
    // A process dumped while stopped comes back stopped: SIGSTOP left pending
    // now is taken on detach, before the task runs a single instruction.
    if (state.core.stopped && ::kill(pid, SIGSTOP) != 0) throw_errno("re-stopping restored process {}", pid);
    timings.total_ms += ms_since(t0);
    return timings;
}

}  // namespace myrt::cr
