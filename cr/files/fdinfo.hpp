#pragma once
// What the kernel objects' fd kinds (cr/files/kind_*.cpp) share: the lines of
// /proc/PID/fdinfo/N, and a copy of a task's fd in the checkpointer.
#include "util/fd.hpp"

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace myrt::cr::files {

// The lines of /proc/PID/fdinfo/FD.
std::vector<std::string> fdinfo_lines(pid_t pid, int fd);

// The text after "key:" on the first line that starts with it, spaces trimmed.
std::optional<std::string> fdinfo_field(const std::vector<std::string>& lines, std::string_view key);

// As fdinfo_field, but missing throws naming the object, fd and pid.
std::string fdinfo_require(const std::vector<std::string>& lines, std::string_view key, std::string_view what, pid_t pid,
                           int fd);

// Parses an unsigned number in `base`; throws naming `what` on junk.
uint64_t parse_number(std::string_view text, int base, std::string_view what);

// The same open file description as fd `fd` of `pid` (pidfd_getfd), for
// reading state (FIONREAD, F_GET_SEALS, contents) without touching the task.
UniqueFd task_fd_copy(pid_t pid, int fd, std::string_view what);

}  // namespace myrt::cr::files
