#pragma once
#include <sys/types.h>

#include <string>

namespace myrt::runtime {
// Digits only, no newline (containerd parses it with strconv.Atoi); atomic.
void write_pid_file(const std::string& path, pid_t pid);
}
