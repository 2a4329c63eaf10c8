#pragma once
// The OCI linux.seccomp filter, compiled with libseccomp.
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "spec/config.hpp"
#include "util/fd.hpp"

namespace myrt::security {

// Builds the filter from the spec (default action + errnoRet, architectures, syscalls with actions
// SCMP_ACT_KILL/KILL_PROCESS/KILL_THREAD/TRAP/ERRNO(errnoRet, default EPERM)/TRACE/ALLOW/LOG/NOTIFY,
// argument filters with all SCMP_CMP_* ops (MASKED_EQ uses value as mask and valueTwo as datum),
// flags TSYNC/LOG/SPEC_ALLOW/WAIT_KILLABLE_RECV). Unknown syscall names are skipped (as runc does)
// but an unknown action/op/arch/flag is an error. Throws myrt::Error naming the syscall/field.
class SeccompFilter {
public:
    // Compiles (no load) down to the BPF program. Done BEFORE the container's user/caps change:
    // libseccomp allocates and reads files the container may not reach later, and generating
    // the program is the slow part (tens of ms for a 3-architecture profile), so load() is cheap.
    explicit SeccompFilter(const spec::Seccomp& s);

    // Installs the program on the calling thread (every thread with TSYNC) with seccomp(2) and
    // the profile's flags. No-new-privs is NOT set here (process.noNewPrivileges is the
    // caller's job), so the caller must still hold CAP_SYS_ADMIN or have set no_new_privs.
    // Returns the notify listener fd when any rule uses SCMP_ACT_NOTIFY, else an empty UniqueFd.
    UniqueFd load();

    // The BPF program bytes (struct sock_filter array), for tests and checkpoint comparison.
    std::vector<uint8_t> export_bpf() const { return bpf_; }

    bool uses_notify() const noexcept { return uses_notify_; }

private:
    std::vector<uint8_t> bpf_;
    bool uses_notify_ = false;
    bool tsync_ = false;
    bool log_ = false;
    bool spec_allow_ = false;
    bool wait_killable_recv_ = false;
};

// Sends the notify listener fd to listener_path (an AF_UNIX stream socket) with SCM_RIGHTS,
// with the container process state JSON as the message (OCI spec "seccomp listener").
void send_seccomp_listener(const std::string& listener_path, int fd, const std::string& state_json);

}  // namespace myrt::security
