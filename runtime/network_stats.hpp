#pragma once
// The network part of `events` stats: the interfaces of the container's own
// network namespace with runc's NetworkInterface fields (name, rx_/tx_ bytes,
// packets, errors, dropped), read from /proc/PID/net/dev.
#include <sys/types.h>

#include <nlohmann/json.hpp>
#include <string>

namespace myrt::runtime {

// An array, one object per interface in the order the kernel lists them;
// empty when `pid` shares the caller's network namespace (the host's
// interfaces are not the container's).
nlohmann::json network_interfaces(pid_t pid);

// The same from the text of a /proc/net/dev file.
nlohmann::json parse_net_dev(const std::string& text);

}  // namespace myrt::runtime
