#include "cr/task/dump_task.hpp"

#include <dirent.h>
#include <linux/prctl.h>
#include <sys/stat.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/time.h>

#include <cstring>
#include <memory>
#include <optional>
#include <string_view>

#include "cr/memory/vma.hpp"
#include "cr/ptrace/inject.hpp"
#include "cr/ptrace/proc_scan.hpp"
#include "cr/ptrace/registers.hpp"
#include "cr/ptrace/thread_info.hpp"
#include "cr/task/posix_timers.hpp"
#include "cr/task/proc_status.hpp"
#include "util/error.hpp"

namespace myrt::cr {
namespace {

// A memfd mapping is restored through the task's own fd of that memfd
// (restore_memory.cpp): refuse up front, while the container still runs,
// when there is no such fd (mapped, then closed) or when the name does not
// tell which open memfd is mapped.
void check_memfd_mapping(pid_t pid, const Vma& v) {
    struct stat mapped {};
    std::string map_file = fmt::format("/proc/{}/map_files/{:x}-{:x}", pid, v.rec.start, v.rec.end);
    if (::stat(map_file.c_str(), &mapped) < 0) throw_errno("stat {} (memfd {} mapped by process {})", map_file, v.path, pid);
    std::string want = v.path + " (deleted)", dir = fmt::format("/proc/{}/fd", pid);
    std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(dir.c_str()), ::closedir);
    if (!d) throw_errno("reading the fds of process {}", pid);
    bool holds_it = false, other_of_that_name = false;
    while (dirent* e = ::readdir(d.get())) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
        char link[512];
        ssize_t n = ::readlinkat(::dirfd(d.get()), e->d_name, link, sizeof link);
        if (n <= 0 || std::string_view(link, static_cast<size_t>(n)) != want) continue;
        struct stat st {};
        if (::fstatat(::dirfd(d.get()), e->d_name, &st, 0) < 0) continue;
        if (st.st_dev == mapped.st_dev && st.st_ino == mapped.st_ino) holds_it = true;
        else other_of_that_name = true;
    }
    if (!holds_it)
        fail("not supported yet: process {} maps memfd {} at {:#x}-{:#x} but holds no fd of it (a memfd mapped and then closed)",
             pid, v.path, v.rec.start, v.rec.end);
    if (other_of_that_name)
        fail("not supported yet: process {} maps memfd {} at {:#x}-{:#x} and holds another memfd of the same name", pid, v.path,
             v.rec.start, v.rec.end);
}

void copy_comm(char (&dst)[16], std::string s) {
    while (!s.empty() && s.back() == '\n') s.pop_back();
    std::memset(dst, 0, sizeof dst);
    std::memcpy(dst, s.data(), std::min(s.size(), sizeof dst - 1));
}

void fill_ids(ProcessCoreRecord& core, const std::map<std::string, std::string>& st, const StatFields& stat, pid_t pid) {
    auto& ids = core.ids;
    ids.pid = pid;
    ids.ppid = stat.ppid;
    ids.pgid = stat.pgid;
    ids.sid = stat.sid;
    auto nspid = status_numbers(st, "NSpid");
    if (nspid.empty() || nspid.size() > kMaxPidNsDepth) fail("process {} has {} NSpid entries", pid, nspid.size());
    ids.ns_depth = static_cast<int32_t>(nspid.size());
    for (size_t i = 0; i < nspid.size(); ++i) ids.ns_pid[i] = static_cast<int32_t>(nspid[i]);
    ids.ns_pgid = static_cast<int32_t>(status_numbers(st, "NSpgid").back());
    ids.ns_sid = static_cast<int32_t>(status_numbers(st, "NSsid").back());
}

void fill_creds(CredsRecord& c, std::vector<uint32_t>& groups, const std::map<std::string, std::string>& st) {
    auto uids = status_numbers(st, "Uid");
    auto gids = status_numbers(st, "Gid");
    if (uids.size() != 4 || gids.size() != 4) fail("unexpected Uid/Gid lines in /proc status");
    for (int i = 0; i < 4; ++i) {
        c.uid[i] = static_cast<uint32_t>(uids[static_cast<size_t>(i)]);
        c.gid[i] = static_cast<uint32_t>(gids[static_cast<size_t>(i)]);
    }
    for (auto g : status_numbers(st, "Groups")) groups.push_back(static_cast<uint32_t>(g));
    c.cap_inheritable = static_cast<uint64_t>(status_numbers(st, "CapInh", 16).at(0));
    c.cap_permitted = static_cast<uint64_t>(status_numbers(st, "CapPrm", 16).at(0));
    c.cap_effective = static_cast<uint64_t>(status_numbers(st, "CapEff", 16).at(0));
    c.cap_bounding = static_cast<uint64_t>(status_numbers(st, "CapBnd", 16).at(0));
    c.cap_ambient = static_cast<uint64_t>(status_numbers(st, "CapAmb", 16).at(0));
    c.no_new_privs = static_cast<uint32_t>(status_numbers(st, "NoNewPrivs").at(0));
}

ThreadState dump_thread_direct(pid_t pid, pid_t tid) {
    ThreadState t;
    auto& c = t.core;
    c.tid = tid;
    auto st = read_status(fmt::format("/proc/{}/task/{}/status", pid, tid));
    c.ns_tid = static_cast<int32_t>(status_numbers(st, "NSpid").back());
    fill_creds(t.creds, t.groups, st);
    Registers regs = get_registers(tid);
    c.regs = regs.gp;
    normalize_interrupted_syscall(c.regs, true);
    c.fpu_format = static_cast<uint32_t>(regs.fpu_format);
    c.fpu_size = static_cast<uint32_t>(regs.fpu.size());
    t.fpu = std::move(regs.fpu);
    c.blocked = get_sigmask(tid);
    t.pending = peek_pending_signals(tid, false);
    auto rseq = get_rseq_config(tid);
    c.rseq_abi_pointer = rseq.abi_pointer;
    c.rseq_abi_size = rseq.abi_size;
    c.rseq_signature = rseq.signature;
    auto robust = get_robust_list(tid);
    c.robust_list_head = robust.head;
    c.robust_list_len = robust.len;
    copy_comm(c.comm, read_proc_file(fmt::format("/proc/{}/task/{}/comm", pid, tid)));
    return t;
}

// What only the thread itself can report: its alternate signal stack,
// parent-death signal, clear_child_tid pointer and securebits.
void dump_thread_injected(ThreadState& t, Injector& inj, RemoteScratch& scratch) {
    auto& c = t.core;
    t.creds.securebits = static_cast<uint32_t>(inj.checked("prctl(PR_GET_SECUREBITS)", SYS_prctl, PR_GET_SECUREBITS));
    inj.checked("sigaltstack query", SYS_sigaltstack, 0, scratch.addr());
    auto ss = scratch.get<stack_t>(0);
    c.altstack_sp = reinterpret_cast<uint64_t>(ss.ss_sp);
    c.altstack_size = ss.ss_size;
    c.altstack_flags = ss.ss_flags;
    inj.checked("prctl(PR_GET_PDEATHSIG)", SYS_prctl, PR_GET_PDEATHSIG, scratch.addr());
    c.pdeath_signal = scratch.get<int32_t>(0);
    // Only the thread itself can read it, and only with CONFIG_CHECKPOINT_RESTORE.
    long rc = inj.syscall(SYS_prctl, PR_GET_TID_ADDRESS, scratch.addr());
    if (rc == -EINVAL)
        fail("cannot read thread {}'s clear_child_tid pointer: the kernel has no PR_GET_TID_ADDRESS "
             "(CONFIG_CHECKPOINT_RESTORE), and without it a restored pthread_join would never return", inj.tid());
    if (rc < 0) throw SystemError(static_cast<int>(-rc), fmt::format("prctl(PR_GET_TID_ADDRESS) in thread {}", inj.tid()));
    c.clear_child_tid = scratch.get<uint64_t>(0);
}

}  // namespace

ProcessState dump_process_state(SeizedProcess& proc) {
    ProcessState ps;
    const pid_t pid = proc.pid();
    auto& core = ps.core;

    // A zombie leader has no mm, fs or umask left: those come from a live
    // thread (the leader itself when it is alive). Ids come from the leader.
    const pid_t live = proc.live_tid();
    const std::string task_dir = fmt::format("/proc/{}/task/{}", pid, live);
    auto st_leader = read_status(fmt::format("/proc/{}/status", pid));
    auto st = read_status(task_dir + "/status");
    auto stat = parse_stat(read_proc_file(task_dir + "/stat"));
    fill_ids(core, st_leader, stat, pid);
    core.leader_exited = proc.leader_exited() ? 1 : 0;
    fill_creds(core.creds, ps.groups, st);
    core.stopped = proc.was_stopped() ? 1 : 0;
    core.umask = static_cast<uint32_t>(status_numbers(st, "Umask", 8).at(0));
    core.seccomp_mode = static_cast<uint32_t>(status_numbers(st, "Seccomp").at(0));
    core.mm = stat.mm;
    auto limits = parse_limits(read_proc_file(fmt::format("/proc/{}/limits", pid)));
    std::copy(limits.begin(), limits.end(), core.rlimits);
    core.personality = static_cast<uint32_t>(std::stoul(read_proc_file(fmt::format("/proc/{}/personality", pid)), nullptr, 16));
    copy_comm(core.comm, read_proc_file(fmt::format("/proc/{}/comm", pid)));
    ps.auxv = parse_auxv(read_proc_file(task_dir + "/auxv"));
    ps.cwd = read_link(task_dir + "/cwd");
    ps.root = read_link(task_dir + "/root");
    ps.exe = read_link(task_dir + "/exe");
    if (core.seccomp_mode == 2) ps.seccomp = get_seccomp_filters(live);

    // Direct reads first: the injector below changes registers and the mask.
    for (auto& t : proc.threads()) ps.threads.push_back(dump_thread_direct(pid, t.tid()));
    core.nthreads = static_cast<uint32_t>(ps.threads.size());
    ps.shared_pending = peek_pending_signals(live, true);

    {
        uint64_t insn = find_vdso_syscall(live);
        Injector inj(live, insn);
        RemoteScratch scratch(inj, 4096);
        for (int sig = 1; sig <= kNumSignals; ++sig) {
            inj.checked(fmt::format("rt_sigaction({}) query", sig), SYS_rt_sigaction, sig, 0, scratch.addr(), 8);
            core.sigactions[sig - 1] = scratch.get<SigactionRecord>(0);
        }
        core.mm.brk = static_cast<uint64_t>(inj.checked("brk(0)", SYS_brk, 0));
        core.creds.securebits = static_cast<uint32_t>(inj.checked("prctl(PR_GET_SECUREBITS)", SYS_prctl, PR_GET_SECUREBITS));
        core.dumpable = static_cast<uint32_t>(inj.checked("prctl(PR_GET_DUMPABLE)", SYS_prctl, PR_GET_DUMPABLE));
        inj.checked("prctl(PR_GET_CHILD_SUBREAPER)", SYS_prctl, PR_GET_CHILD_SUBREAPER, scratch.addr());
        core.child_subreaper = scratch.get<uint32_t>(0);
        for (int which = 0; which < 3; ++which) {
            inj.checked(fmt::format("getitimer({})", which), SYS_getitimer, which, scratch.addr());
            auto it = scratch.get<itimerval>(0);
            core.itimers[which] = {it.it_interval.tv_sec, it.it_interval.tv_usec, it.it_value.tv_sec, it.it_value.tv_usec};
        }
        dump_posix_timers(pid, ps, inj, scratch);
        for (size_t i = 0; i < ps.threads.size(); ++i) {
            if (i == 0) {
                dump_thread_injected(ps.threads[0], inj, scratch);
                continue;
            }
            Injector tinj(ps.threads[i].core.tid, insn);
            dump_thread_injected(ps.threads[i], tinj, scratch);
            tinj.finish();
        }
        scratch.release();
        inj.finish();
    }
    ps.vmas = read_vmas(live);
    // The file is gone, so neither its path nor (for MAP_PRIVATE) the pages
    // never written can be found at restore: refused while the container
    // still runs. memfd mappings belong to cr/files (kind_memfd).
    for (const auto& v : ps.vmas) {
        if (v.rec.kind != VmaKind::file || !v.rec.deleted) continue;
        if (v.path.rfind("/memfd:", 0) == 0) {
            check_memfd_mapping(live, v);
            continue;
        }
        fail("not supported yet: process {} maps the deleted file {} at {:#x}-{:#x} ({})", pid, v.path, v.rec.start,
             v.rec.end, v.rec.shared ? "MAP_SHARED" : "MAP_PRIVATE");
    }
    return ps;
}

}  // namespace myrt::cr
