#pragma once
// Which pty an fd is, and where its devpts instance is mounted. No path is
// hard-coded: a pty is named by its devpts instance (the superblock's dev)
// and its index, and the instance by the mount the container's own mount
// table shows for it (there may be several devpts mounts).
#include "util/fd.hpp"

#include <sys/stat.h>
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace myrt::cr::tty {

inline constexpr unsigned pty_slave_major_first = 136, pty_slave_major_last = 143;

struct PtyId {
    uint64_t devpts_dev = 0;  // st_dev of the devpts instance
    uint32_t index = 0;
    bool master = false;
    int mnt_id = -1;          // the mount the fd was opened through (fdinfo)
    auto operator<=>(const PtyId& o) const = default;
};

bool is_pty_slave_rdev(dev_t rdev);
bool is_ptmx_rdev(dev_t rdev);

// The pty fd `fd` of `pid` is an end of (st: stat of /proc/PID/fd/N, link its
// readlink); nullopt when it is no UNIX98 pty end. A master's index comes
// from fdinfo's tty-index, its instance from the devpts its ptmx sits on (or
// the "pts" directory beside a /dev/ptmx device node, as the kernel finds it).
std::optional<PtyId> identify(pid_t pid, int fd, const struct stat& st, const std::string& link);

struct MountEntry {
    int id = -1;
    uint64_t dev = 0;       // major:minor of the superblock
    std::string point;      // mount point as the task sees it
    std::string fstype;
};
std::vector<MountEntry> mountinfo(pid_t pid);

// The mount point (in `pid`'s mount table) of the devpts instance `devpts_dev`,
// preferring mount `mnt_id`; throws naming `what` when it is not mounted there.
std::string devpts_mount_point(pid_t pid, uint64_t devpts_dev, int mnt_id, const std::string& what);

// Restore: opens the ptmx of the devpts mounted at `mount_point` in `pid`'s
// mount table (through /proc/PID/root) until the kernel hands out `index`.
// Indexes are given lowest-free first: the ptys opened on the way are held
// and closed once the wanted one comes. Throws if the index is taken.
// `any_index`: the first one the kernel gives.
inline constexpr uint32_t any_index = UINT32_MAX;
UniqueFd open_pty_at(pid_t pid, const std::string& mount_point, uint32_t index);

// Host pid -> pid in the innermost pid namespace (NSpid's last field); 0 if gone.
pid_t inner_pid(pid_t host_pid);

}  // namespace myrt::cr::tty
