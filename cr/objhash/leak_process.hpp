#pragma once
// What /proc shows about one process, read once and on demand: its fds (with
// the identity of what each refers to), its mappings and its namespaces. A
// process that exits while it is read simply shows nothing more: the leak
// scan runs over a live system where outside processes come and go.
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace myrt::cr::objhash {

struct FdEntry {
    int fd = -1;
    std::string link;  // readlink of /proc/PID/fd/N: a path, "pipe:[N]", "socket:[N]", "anon_inode:..."
    uint64_t dev = 0;  // stat() of the fd's target
    uint64_t ino = 0;
    uint32_t mode = 0;
};

struct MapEntry {
    uint64_t start = 0;
    uint64_t end = 0;
    bool shared = false;  // 's' in the perms column: MAP_SHARED
    bool writable = false;
    uint64_t dev = 0;     // makedev(major, minor) as in st_dev
    uint64_t ino = 0;
    std::string path;
};

struct NsEntry {
    std::string type;     // "uts", "pid_for_children", ...
    std::string link;     // "uts:[4026531838]"
    uint64_t dev = 0;
    uint64_t ino = 0;
};

class ProcessView {
public:
    explicit ProcessView(pid_t pid) : pid_(pid) {}
    // A view of only these fds of `pid`, with no mappings or namespaces: the
    // descriptions myrt itself received from a unix socket's queue (fds in
    // flight), collected as the container's.
    ProcessView(pid_t pid, const std::vector<int>& only_fds);
    pid_t pid() const { return pid_; }
    const std::string& comm();
    const std::vector<FdEntry>& fds();
    const std::vector<MapEntry>& maps();
    const std::vector<NsEntry>& namespaces();

private:
    pid_t pid_;
    std::optional<std::string> comm_;
    std::optional<std::vector<FdEntry>> fds_;
    std::optional<std::vector<MapEntry>> maps_;
    std::optional<std::vector<NsEntry>> ns_;
};

// Every process (thread-group leader) in /proc.
std::vector<pid_t> list_processes();
// True for kernel threads (PF_KTHREAD): they hold no fds or mappings and live
// in the initial namespaces, so they can hold nothing of a container.
bool is_kernel_thread(pid_t pid);
// The thread-group id of a pid, or 0 if it is gone.
pid_t thread_group_of(pid_t pid);
// kcmp(pid1, pid2, type, idx1, idx2): 0 same, >0 different, <0 with errno set on failure.
int kcmp_compare(pid_t pid1, pid_t pid2, int type, unsigned long idx1, unsigned long idx2);

}  // namespace myrt::cr::objhash
