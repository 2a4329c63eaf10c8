#include "cr/task/tuning.hpp"

#include <linux/capability.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fstream>

#include "cr/ptrace/proc_scan.hpp"
#include "cr/task/proc_status.hpp"
#include "util/error.hpp"
#include "util/sched_attr.hpp"

namespace myrt::cr {
namespace {

constexpr uint64_t kResetOnFork = 0x01;  // SCHED_FLAG_RESET_ON_FORK

int read_int(const std::string& path) {
    std::ifstream f(path);
    long v = 0;
    if (!(f >> v)) fail("reading {}", path);
    return static_cast<int>(v);
}

void write_int(const std::string& path, long v) {
    std::ofstream f(path);
    f << v;
    f.flush();
    if (!f) fail("writing {} to {}", v, path);
}

}  // namespace

void dump_tuning(pid_t pid, ProcessState& ps) {
    ps.tuning.present = 1;
    ps.tuning.oom_score_adj = read_int(fmt::format("/proc/{}/oom_score_adj", pid));
    auto st = read_status(fmt::format("/proc/{}/status", pid));
    auto thp = status_numbers(st, "THP_enabled");
    ps.tuning.thp_disable = !thp.empty() && thp[0] == 0 ? 1 : 0;
    try {
        ps.tuning.loginuid = static_cast<uint32_t>(std::stoul(read_proc_file(fmt::format("/proc/{}/loginuid", pid))));
    } catch (const std::exception&) {
        ps.tuning.loginuid = static_cast<uint32_t>(-1);
    }
    ps.thread_sched.clear();
    for (const auto& t : ps.threads) {
        SchedAttr a{};
        if (::syscall(SYS_sched_getattr, t.core.tid, &a, sizeof a, 0) != 0)
            throw_errno("sched_getattr of thread {} of process {}", t.core.tid, pid);
        ps.thread_sched.push_back({a.sched_policy, static_cast<uint32_t>(a.sched_flags), a.sched_nice, a.sched_priority,
                                   a.sched_runtime, a.sched_deadline, a.sched_period});
    }
}

void restore_tuning(SeizedProcess& proc, const ProcessState& st, const std::function<void(const std::string&)>& log) {
    if (!st.tuning.present) return;
    const int32_t ns_pid = st.core.ids.ns_pid[st.core.ids.ns_depth - 1];
    const bool cap_nice = st.core.creds.cap_effective & (1ull << CAP_SYS_NICE);
    const auto& nice_lim = st.core.rlimits[RLIMIT_NICE];
    const auto& rt_lim = st.core.rlimits[RLIMIT_RTPRIO];
    // A zombie leader's placeholder comes first in proc.threads(); the image lacks it.
    const size_t off = st.core.leader_exited ? 1 : 0;
    for (size_t i = 0; i < st.thread_sched.size() && i + off < proc.threads().size(); ++i) {
        const auto& s = st.thread_sched[i];
        const int32_t tid = st.threads[i].core.ns_tid;
        if (!cap_nice) {
            // What an unprivileged thread may set itself (sched(7)).
            bool rt = s.policy == SCHED_FIFO || s.policy == SCHED_RR;
            if (s.policy == 6 /* SCHED_DEADLINE */)
                fail("process {} thread {}: SCHED_DEADLINE needs CAP_SYS_NICE, which its credentials lack", ns_pid, tid);
            if (rt && s.priority > rt_lim.cur)
                fail("process {} thread {}: real-time priority {} is above its RLIMIT_RTPRIO {} and it lacks "
                     "CAP_SYS_NICE",
                     ns_pid, tid, s.priority, rt_lim.cur);
            if (!rt && s.nice < 0 && static_cast<uint64_t>(20 - s.nice) > nice_lim.cur)
                fail("process {} thread {}: nice {} is below what its RLIMIT_NICE {} allows and it lacks CAP_SYS_NICE",
                     ns_pid, tid, s.nice, nice_lim.cur);
        }
        SchedAttr a{};
        a.size = sizeof a;
        a.sched_policy = s.policy;
        a.sched_flags = s.flags & kResetOnFork;
        a.sched_nice = s.nice;
        a.sched_priority = s.priority;
        a.sched_runtime = s.runtime;
        a.sched_deadline = s.deadline;
        a.sched_period = s.period;
        pid_t host_tid = proc.threads()[i + off].tid();
        if (::syscall(SYS_sched_setattr, host_tid, &a, 0) != 0)
            throw_errno("sched_setattr of process {} thread {} (policy {}, nice {}, priority {})", ns_pid, tid, s.policy,
                        s.nice, s.priority);
    }
    // The floor is what create gave the container from its bundle: a
    // restore may raise the score, never lower it below that.
    std::string path = fmt::format("/proc/{}/oom_score_adj", proc.pid());
    int floor = read_int(path);
    int want = st.tuning.oom_score_adj;
    if (want < floor) {
        log(fmt::format("process {}: oom_score_adj {} of the image held at the container's {}", ns_pid, want, floor));
        want = floor;
    }
    if (want != floor) write_int(path, want);
}

}  // namespace myrt::cr
