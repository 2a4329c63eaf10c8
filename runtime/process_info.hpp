#pragma once
// Facts about a host process read from /proc, used to tell a live container
// init from a reused pid.
#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace myrt::runtime {

struct ProcStat {
    char state = '?';                    // R S D Z T t X ...
    pid_t ppid = 0;
    unsigned long long start_time = 0;   // clock ticks since boot (field 22)
};

std::optional<ProcStat> read_proc_stat(pid_t pid);
// True when pid is alive (not a zombie) and still the process that started at start_time.
bool process_is_alive(pid_t pid, unsigned long long start_time);
// A task of process `pid` that still has its namespaces, root and fds: the
// process itself, or a live thread when its leader called pthread_exit.
pid_t live_task_of(pid_t pid);
// `root` and every process below it in the process tree (/proc/PID/task/TID/children),
// parents before children. In a pid namespace of its own this is every process of the
// container: orphans are reparented to its init. Processes that exit meanwhile are skipped.
std::vector<pid_t> process_and_descendants(pid_t root);

}  // namespace myrt::runtime
