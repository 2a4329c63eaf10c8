#include "runtime/process_scheduling.hpp"

#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <string_view>

#include "spec/linux_names.hpp"
#include "util/error.hpp"
#include "util/sched_attr.hpp"

namespace myrt::runtime {
namespace {

constexpr int kIoprioWhoProcess = 1;
constexpr int kIoprioClassShift = 13;

// "0-3,7" as a CPU set; the list was checked by spec validation (spec::is_cpu_list).
cpu_set_t parse_cpu_list(std::string_view list, const char* field) {
    cpu_set_t set;
    CPU_ZERO(&set);
    size_t i = 0;
    auto number = [&] {
        int n = 0;
        while (i < list.size() && list[i] >= '0' && list[i] <= '9') n = n * 10 + (list[i++] - '0');
        return n;
    };
    while (i < list.size()) {
        int first = number(), last = first;
        if (i < list.size() && list[i] == '-') {
            ++i;
            last = number();
        }
        if (last >= CPU_SETSIZE) fail("process.execCPUAffinity.{}: CPU {} is beyond the {} this runtime handles", field, last, CPU_SETSIZE);
        for (int cpu = first; cpu <= last; ++cpu) CPU_SET(cpu, &set);
        if (i < list.size()) ++i;  // ','
    }
    return set;
}

void set_affinity(const cpu_set_t& set, std::string_view what) {
    if (::sched_setaffinity(0, sizeof set, &set) != 0) throw_errno("set the CPU affinity to {}", what);
}

bool affinity_is_every_cpu() {
    cpu_set_t set;
    if (::sched_getaffinity(0, sizeof set, &set) != 0) return true;
    long online = ::sysconf(_SC_NPROCESSORS_CONF);
    return online > 0 && CPU_COUNT(&set) >= online;
}

}  // namespace

void apply_initial_cpu_affinity(const spec::Process& p) {
    if (p.exec_cpu_affinity && !p.exec_cpu_affinity->initial.empty()) {
        set_affinity(parse_cpu_list(p.exec_cpu_affinity->initial, "initial"), p.exec_cpu_affinity->initial);
        return;
    }
    cpu_set_t all;
    CPU_ZERO(&all);
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) CPU_SET(cpu, &all);
    // The kernel keeps what the task's cpuset allows; EINVAL only if none of these CPUs exist.
    if (::sched_setaffinity(0, sizeof all, &all) != 0 && errno != EINVAL) throw_errno("reset the CPU affinity");
}

void apply_final_cpu_affinity(const spec::Process& p) {
    if (p.exec_cpu_affinity && !p.exec_cpu_affinity->final_cpus.empty())
        set_affinity(parse_cpu_list(p.exec_cpu_affinity->final_cpus, "final"), p.exec_cpu_affinity->final_cpus);
}

void apply_io_priority(const spec::IoPriority& io) {
    int io_class = *spec::io_priority_class(io.io_class);
    int value = (io_class << kIoprioClassShift) | io.priority;
    if (::syscall(SYS_ioprio_set, kIoprioWhoProcess, 0, value) != 0)
        throw_errno("process.ioPriority: ioprio_set {} {}", io.io_class, io.priority);
}

void apply_scheduler(const spec::Scheduler& s) {
    SchedAttr attr{};
    attr.size = sizeof attr;
    attr.sched_policy = static_cast<uint32_t>(*spec::scheduler_policy(s.policy));
    for (const auto& flag : s.flags) attr.sched_flags |= *spec::scheduler_flag(flag);
    attr.sched_nice = s.nice;
    attr.sched_priority = static_cast<uint32_t>(s.priority);
    attr.sched_runtime = s.runtime;
    attr.sched_deadline = s.deadline;
    attr.sched_period = s.period;
    if (::syscall(SYS_sched_setattr, 0, &attr, 0) == 0) return;
    int e = errno;
    // sched_setattr(2): SCHED_DEADLINE needs the task allowed on every CPU (runc's wording).
    if (e == EPERM && !affinity_is_every_cpu())
        fail("process.scheduler: process scheduler can't be used together with AllowedCPUs (policy {}: {})", s.policy,
             std::strerror(e));
    throw SystemError(e, fmt::format("process.scheduler: sched_setattr policy {}", s.policy));
}

}  // namespace myrt::runtime
