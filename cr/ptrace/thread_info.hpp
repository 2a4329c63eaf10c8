#pragma once
// Per-thread state that ptrace reads (and writes) directly, without injection.
#include <linux/filter.h>
#include <signal.h>
#include <sys/types.h>

#include <cstdint>
#include <vector>

namespace myrt::cr {

uint64_t get_sigmask(pid_t tid);
void set_sigmask(pid_t tid, uint64_t mask);

// Pending signals without dequeuing them (PTRACE_PEEKSIGINFO): the thread's
// private queue, or with `shared` the process-wide one.
std::vector<siginfo_t> peek_pending_signals(pid_t tid, bool shared);

struct RseqConfig {
    uint64_t abi_pointer = 0;  // 0: none registered
    uint32_t abi_size = 0;
    uint32_t signature = 0;
};
RseqConfig get_rseq_config(pid_t tid);

struct RobustList {
    uint64_t head = 0;
    uint64_t len = 0;
};
// get_robust_list works on any task we may ptrace: no injection needed.
RobustList get_robust_list(pid_t tid);

// Every seccomp filter of the task, oldest first (PTRACE_SECCOMP_GET_FILTER
// index 0 walks back to the first filter installed).
std::vector<std::vector<sock_filter>> get_seccomp_filters(pid_t tid);

}  // namespace myrt::cr
