#include "cr/ptrace/thread_info.hpp"

#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/error.hpp"

namespace myrt::cr {

uint64_t get_sigmask(pid_t tid) {
    uint64_t mask = 0;
    if (::ptrace(PTRACE_GETSIGMASK, tid, sizeof mask, &mask) != 0) throw_errno("PTRACE_GETSIGMASK of task {}", tid);
    return mask;
}

void set_sigmask(pid_t tid, uint64_t mask) {
    if (::ptrace(PTRACE_SETSIGMASK, tid, sizeof mask, &mask) != 0) throw_errno("PTRACE_SETSIGMASK of task {}", tid);
}

std::vector<siginfo_t> peek_pending_signals(pid_t tid, bool shared) {
    std::vector<siginfo_t> out;
    for (;;) {
        __ptrace_peeksiginfo_args args{};
        args.off = out.size();
        args.flags = shared ? PTRACE_PEEKSIGINFO_SHARED : 0;
        args.nr = 32;
        siginfo_t batch[32];
        long n = ::ptrace(PTRACE_PEEKSIGINFO, tid, &args, batch);
        if (n < 0) throw_errno("PTRACE_PEEKSIGINFO ({}) of task {}", shared ? "shared" : "per-thread", tid);
        out.insert(out.end(), batch, batch + n);
        if (n < 32) return out;
    }
}

RseqConfig get_rseq_config(pid_t tid) {
    __ptrace_rseq_configuration conf{};
    long n = ::ptrace(PTRACE_GET_RSEQ_CONFIGURATION, tid, sizeof conf, &conf);
    if (n < 0) throw_errno("PTRACE_GET_RSEQ_CONFIGURATION of task {}", tid);
    return {conf.rseq_abi_pointer, conf.rseq_abi_size, conf.signature};
}

RobustList get_robust_list(pid_t tid) {
    RobustList r;
    size_t len = 0;
    void* head = nullptr;
    if (::syscall(SYS_get_robust_list, tid, &head, &len) != 0) throw_errno("get_robust_list of task {}", tid);
    r.head = reinterpret_cast<uint64_t>(head);
    r.len = len;
    return r;
}

std::vector<std::vector<sock_filter>> get_seccomp_filters(pid_t tid) {
    std::vector<std::vector<sock_filter>> out;
    for (unsigned long index = 0;; ++index) {
        long n = ::ptrace(PTRACE_SECCOMP_GET_FILTER, tid, reinterpret_cast<void*>(index), nullptr);
        if (n < 0) {
            if (errno == ENOENT) return out;
            if (errno == EINVAL && index == 0) return out;  // not in filter mode
            throw_errno("PTRACE_SECCOMP_GET_FILTER #{} of task {}", index, tid);
        }
        std::vector<sock_filter> prog(static_cast<size_t>(n));
        if (::ptrace(PTRACE_SECCOMP_GET_FILTER, tid, reinterpret_cast<void*>(index), prog.data()) != n)
            throw_errno("PTRACE_SECCOMP_GET_FILTER #{} of task {}", index, tid);
        out.push_back(std::move(prog));
    }
}

}  // namespace myrt::cr
