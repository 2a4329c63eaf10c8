#pragma once
// Facts about a host process read from /proc, used to tell a live container
// init from a reused pid.
#include <sys/types.h>

#include <optional>
#include <string>

namespace myrt::runtime {

struct ProcStat {
    char state = '?';                    // R S D Z T t X ...
    pid_t ppid = 0;
    unsigned long long start_time = 0;   // clock ticks since boot (field 22)
};

std::optional<ProcStat> read_proc_stat(pid_t pid);
// True when pid is alive (not a zombie) and still the process that started at start_time.
bool process_is_alive(pid_t pid, unsigned long long start_time);

}  // namespace myrt::runtime
