#pragma once
// OCI lifecycle hooks: each hook is a program run with the container state JSON on stdin.
#include <string>
#include <vector>

#include "spec/config.hpp"

namespace myrt::hooks {

enum class Kind { prestart, create_runtime, create_container, start_container, poststart, poststop };

// The config.json name of the hook list: "prestart", "createRuntime", ...
const char* kind_name(Kind k);

// Runs each hook in order: spawn path with args (args[0] is argv[0]; [path] when empty) and
// exactly env (the runtime's environment when the hook has none), the state JSON on stdin, stdout/stderr captured. The first hook that exits
// non-zero, is killed by a signal, cannot be started, or exceeds its timeout (then killed with
// SIGKILL) throws myrt::Error and the remaining hooks do not run:
// `createRuntime hook /usr/bin/x exited with status 3: <stderr tail>`.
void run(Kind kind, const std::vector<spec::Hook>& hooks, const std::string& state_json);

// For poststop, whose failures the OCI spec says to warn about and continue (poststart
// failures fail start and run, as runc's do: callers use run()):
// every hook runs, and each failure is logged as a warning instead of thrown.
void run_warn_only(Kind kind, const std::vector<spec::Hook>& hooks, const std::string& state_json);

}  // namespace myrt::hooks
