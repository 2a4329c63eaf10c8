#pragma once
// Enumerating threads and children of live processes through /proc.
#include <sys/types.h>

#include <string>
#include <vector>

namespace myrt::cr {

// Thread ids of process `pid` (from /proc/PID/task), sorted; empty if the process is gone.
std::vector<pid_t> list_threads(pid_t pid);

// Child processes of every thread of `pid` (from /proc/PID/task/TID/children), sorted.
std::vector<pid_t> list_children(pid_t pid);

// The one-letter state from /proc/PID/status ("T" for stopped, "t" for traced, ...); 0 if gone.
char task_state_letter(pid_t tid);

// Whole text of a /proc file; throws naming the path if it cannot be read.
std::string read_proc_file(const std::string& path);

}  // namespace myrt::cr
