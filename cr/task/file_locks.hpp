#pragma once
// File locks held by a process (flock, POSIX record locks, OFD locks), read
// from the `lock:` lines of /proc/PID/fdinfo/FD and taken again by injected
// flock/fcntl in the restored process, through the same fds.
#include <sys/types.h>

#include <string>
#include <vector>

#include "cr/task/task_state.hpp"

namespace myrt::cr {

// One parsed `lock:` line (the text after "lock:\t").
struct FdLockLine {
    std::string kind;   // FLOCK, POSIX, OFDLCK, LEASE, DELEG, ACCESS
    std::string type;   // READ, WRITE, ...
    int64_t start = 0;
    int64_t end = -1;   // -1: EOF
};
// Throws on a line it cannot read.
FdLockLine parse_fd_lock_line(const std::string& line);

// The locks `pid` holds through its fds. Without `allowed` (--file-locks) a
// held lock fails, naming the lock, the file, the fd and the process; leases
// always fail.
std::vector<FileLockRecord> dump_file_locks(pid_t pid, bool allowed);

// Takes the image's locks again in the seized, restored task `tid` (its fds
// installed). Fails naming the lock when it is held by someone else now.
void restore_file_locks(pid_t tid, const std::vector<FileLockRecord>& locks);

std::string describe_lock(const FileLockRecord& l);

}  // namespace myrt::cr
