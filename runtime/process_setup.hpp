#pragma once
// The last steps before a container process runs its program, shared by the
// container's init and by `exec`: limits, credentials, capabilities,
// no_new_privs, seccomp, then execve.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "spec/config.hpp"
#include "util/fd.hpp"

namespace myrt::runtime {

struct ExecPlan {
    const spec::Process* process = nullptr;
    const spec::Seccomp* seccomp = nullptr;     // linux.seccomp, or null
    std::optional<spec::Personality> personality;
    int preserve_fds = 0;                       // kept after the listen fds
    int listen_fds = 0;                         // socket activation: fds 3..3+N-1, see listen_fds_of
    // Gets the seccomp notify fd when the filter makes one; it passes it to the
    // runtime, which delivers it to linux.seccomp.listenerPath on the host side.
    std::function<void(UniqueFd)> hand_over_listener;
};

// Finds the program as execve will see it (PATH from the process env); errors
// as runc words them: exec: "foo": executable file not found in $PATH.
std::string resolve_executable(const spec::Process& p);

// Applies everything and execs; `before_exec` runs after credentials are set
// and before seccomp's final load (the init waits on the exec fifo there).
// A filter with a notify listener is loaded before `before_exec`, so the
// listener is delivered while the container is created, as runc does.
[[noreturn]] void setup_and_exec(const ExecPlan& plan, const std::function<void()>& before_exec);

// Socket activation: N from LISTEN_FDS in the process env, else from the
// runtime's own env when its LISTEN_PID names this process (or is unset).
// Call it in the runtime, before any fork.
int listen_fds_of(const std::vector<std::string>& process_env);

void apply_rlimits(const std::vector<spec::Rlimit>& rlimits);
void apply_oom_score_adj(int value);

}  // namespace myrt::runtime
