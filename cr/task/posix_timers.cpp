#include "cr/task/posix_timers.hpp"

#include <signal.h>
#include <sys/syscall.h>
#include <time.h>

#include <cstring>
#include <sstream>

#include "cr/ptrace/proc_scan.hpp"
#include "cr/ptrace/remote_memory.hpp"
#include "cr/task/proc_status.hpp"
#include "util/error.hpp"

namespace myrt::cr {
namespace {

// prctl(PR_TIMER_CREATE_RESTORE_IDS) (Linux 6.17): while on, timer_create
// takes the id to use from its timer_t argument.
constexpr int pr_timer_create_restore_ids = 77;
constexpr int restore_ids_off = 0;
constexpr int restore_ids_on = 1;

// The kernel's struct sigevent on x86_64 (64 bytes).
struct KernelSigevent {
    uint64_t value;
    int32_t signo;
    int32_t notify;
    int32_t tid;  // sigev_notify_thread_id
    int32_t pad[11];
};
static_assert(sizeof(KernelSigevent) == 64);

bool clock_restorable(int32_t clock, size_t nthreads) {
    switch (clock) {
        case CLOCK_REALTIME: case CLOCK_MONOTONIC: case CLOCK_PROCESS_CPUTIME_ID: case CLOCK_BOOTTIME:
        case CLOCK_REALTIME_ALARM: case CLOCK_BOOTTIME_ALARM: case CLOCK_TAI:
            return true;
        case CLOCK_THREAD_CPUTIME_ID:
            // Bound to the creating thread, which /proc does not name: only
            // unambiguous in a single-threaded process (re-created in the leader).
            return nthreads == 1;
        default:
            return false;  // a CPU clock of another pid or thread (clock_getcpuclockid)
    }
}

}  // namespace

std::vector<PosixTimerRecord> parse_proc_timers(const std::string& text, pid_t pid) {
    std::vector<PosixTimerRecord> out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        auto colon = line.find(':');
        if (colon == std::string::npos) continue;
        std::string key = line.substr(0, colon);
        std::string val = line.substr(colon + 1);
        while (!val.empty() && val.front() == ' ') val.erase(0, 1);
        if (key == "ID") {
            out.push_back(PosixTimerRecord{});
            out.back().id = static_cast<int32_t>(std::stol(val));
            continue;
        }
        if (out.empty()) fail("/proc/{}/timers: \"{}\" before any ID line", pid, line);
        auto& t = out.back();
        if (key == "signal") {
            auto slash = val.find('/');
            if (slash == std::string::npos) fail("/proc/{}/timers: bad signal line \"{}\"", pid, line);
            t.signo = static_cast<int32_t>(std::stol(val.substr(0, slash)));
            t.sival = std::stoull(val.substr(slash + 1), nullptr, 16);
        } else if (key == "notify") {
            // "signal/pid.123", "none/pid.123", "thread/pid.123", "signal/tid.124"
            auto slash = val.find('/');
            auto dot = val.find('.', slash == std::string::npos ? 0 : slash);
            if (slash == std::string::npos || dot == std::string::npos)
                fail("/proc/{}/timers: bad notify line \"{}\"", pid, line);
            std::string how = val.substr(0, slash), whom = val.substr(slash + 1, dot - slash - 1);
            if (how == "signal") t.notify = SIGEV_SIGNAL;
            else if (how == "none") t.notify = SIGEV_NONE;
            else if (how == "thread") t.notify = SIGEV_THREAD;
            else fail("/proc/{}/timers: timer {} has an unknown notification \"{}\"", pid, t.id, how);
            if (whom == "tid") t.notify |= SIGEV_THREAD_ID;
            t.target = static_cast<int32_t>(std::stol(val.substr(dot + 1)));
        } else if (key == "ClockID") {
            t.clock = static_cast<int32_t>(std::stol(val));
        }
    }
    return out;
}

void dump_posix_timers(pid_t pid, ProcessState& ps, Injector& inj, RemoteScratch& scratch) {
    auto timers = parse_proc_timers(read_proc_file(fmt::format("/proc/{}/timers", pid)), pid);
    const auto& ids = ps.core.ids;
    for (auto& t : timers) {
        if (!clock_restorable(t.clock, ps.threads.size()))
            fail("not supported yet: process {} has POSIX timer {} on clock {} (the CPU-time clock of another "
                 "task or of one thread of a multi-threaded process)",
                 pid, t.id, t.clock);
        // The reader sees host ids; the image keeps the container's.
        if (t.notify & SIGEV_THREAD_ID) {
            int32_t ns = 0;
            for (auto& th : ps.threads)
                if (th.core.tid == t.target) ns = th.core.ns_tid;
            if (!ns) fail("process {}: POSIX timer {} signals thread {}, which is not one of its threads", pid, t.id, t.target);
            t.target = ns;
        } else {
            t.target = ids.ns_pid[ids.ns_depth - 1];
        }
        inj.checked(fmt::format("timer_gettime of POSIX timer {}", t.id), SYS_timer_gettime, t.id, scratch.addr());
        auto its = scratch.get<itimerspec>(0);
        t.interval_sec = its.it_interval.tv_sec;
        t.interval_nsec = its.it_interval.tv_nsec;
        t.value_sec = its.it_value.tv_sec;
        t.value_nsec = its.it_value.tv_nsec;
        t.overrun = static_cast<int32_t>(
            inj.checked(fmt::format("timer_getoverrun of POSIX timer {}", t.id), SYS_timer_getoverrun, t.id));
    }
    ps.posix_timers = std::move(timers);
}

void check_posix_timer(const PosixTimerRecord& t) {
    if (t.id < 0) fail("POSIX timer id {} is negative", t.id);
    int how = t.notify & ~SIGEV_THREAD_ID;
    if (how != SIGEV_SIGNAL && how != SIGEV_NONE && how != SIGEV_THREAD)
        fail("POSIX timer {} has an unknown notification {}", t.id, t.notify);
    if ((t.notify & SIGEV_THREAD_ID) && how != SIGEV_SIGNAL)
        fail("POSIX timer {} has a thread notification without a signal", t.id);
    if (how != SIGEV_NONE && (t.signo < 1 || t.signo > kNumSignals)) fail("POSIX timer {} has signal {}", t.id, t.signo);
    if (t.target <= 0) fail("POSIX timer {} targets pid {}", t.id, t.target);
    if (t.interval_sec < 0 || t.value_sec < 0 || t.interval_nsec < 0 || t.value_nsec < 0 ||
        t.interval_nsec >= 1000000000 || t.value_nsec >= 1000000000)
        fail("POSIX timer {} has an invalid time", t.id);
}

void restore_posix_timers(Injector& leader, uint64_t scratch, const ProcessState& ps) {
    if (ps.posix_timers.empty()) return;
    const pid_t pid = leader.tid();
    long rc = leader.syscall(SYS_prctl, pr_timer_create_restore_ids, restore_ids_on, 0, 0, 0);
    if (rc < 0)
        throw SystemError(static_cast<int>(-rc),
                          fmt::format("prctl(PR_TIMER_CREATE_RESTORE_IDS) in task {}: this kernel cannot re-create "
                                      "POSIX timers with their ids (needs Linux 6.17)",
                                      pid));
    for (const auto& t : ps.posix_timers) {
        KernelSigevent sev{};
        sev.value = t.sival;
        sev.signo = t.signo;
        sev.notify = t.notify;
        if (t.notify & SIGEV_THREAD_ID) sev.tid = t.target;
        remote_write_value(pid, scratch, sev);
        int32_t want = t.id;
        remote_write_value(pid, scratch + 64, want);
        leader.checked(fmt::format("timer_create of POSIX timer {} (clock {}, signal {})", t.id, t.clock, t.signo),
                       SYS_timer_create, static_cast<uint64_t>(static_cast<int64_t>(t.clock)), scratch, scratch + 64);
        int32_t got = remote_read_value<int32_t>(pid, scratch + 64);
        if (got != t.id) fail("timer_create in task {} gave POSIX timer id {} instead of {}", pid, got, t.id);
        if (t.value_sec || t.value_nsec) {
            itimerspec its{{t.interval_sec, t.interval_nsec}, {t.value_sec, t.value_nsec}};
            remote_write_value(pid, scratch, its);
            leader.checked(fmt::format("timer_settime of POSIX timer {}", t.id), SYS_timer_settime, t.id, 0, scratch, 0);
        }
    }
    leader.checked("prctl(PR_TIMER_CREATE_RESTORE_IDS) off", SYS_prctl, pr_timer_create_restore_ids, restore_ids_off, 0, 0, 0);
}

}  // namespace myrt::cr
