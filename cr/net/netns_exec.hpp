#pragma once
// Runs a program (iptables, ip) inside the network namespace of a task.
#include <sys/types.h>

#include <string>
#include <vector>

namespace myrt::cr::net {

// Runs `args` (argv, looked up in PATH) in the network namespace of `pid`;
// "" on success, else what went wrong (with its stderr). With `output`, its
// stdout is put there (else stdout and stderr go into the message).
std::string run_in_netns(pid_t pid, const std::vector<std::string>& args, std::string* output = nullptr);

}  // namespace myrt::cr::net
