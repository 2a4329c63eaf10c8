#pragma once
// The contents of a container's tmpfs mounts (a /dev/shm, a /run): memory
// that lives in no process, so the checkpoint carries it. Dumped through
// /proc/PID/root (the container's own mount tree) as a pre-order walk of
// entries, each file followed by its bytes; restored into the new
// container before any task is rebuilt (a task may map one of these files).
// /dev is left out: create fills it with the container's device nodes.
//
// Restore treats every entry as untrusted: the mount must be one of the
// bundle's tmpfs mounts, the path is plain relative components (no "..",
// no "."), and every create goes through openat2(RESOLVE_IN_ROOT) below
// the mount, O_NOFOLLOW and O_EXCL, so nothing lands outside the mount.
// Owners and setuid/setgid bits are refused, naming the field, the path and
// the value, unless the bundle's user and capabilities could have set them.
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "util/fd.hpp"

namespace myrt::cr::ns {

enum class TmpfsKind : uint32_t { dir = 1, file = 2, symlink = 3 };

struct TmpfsEntry {
    TmpfsKind kind = TmpfsKind::dir;
    uint32_t mode = 0;   // permission bits (07777)
    uint32_t uid = 0, gid = 0;
    std::string mount;   // the mount's destination in the container, e.g. "/dev/shm"
    std::string path;    // relative to the mount, e.g. "a/b"
    std::string target;  // symlink target
    uint64_t size = 0;   // file: bytes that follow
};

// The tmpfs mounts worth dumping among a config's mounts ("/dev" excluded).
std::vector<std::string> tmpfs_mounts_to_dump(const std::vector<std::pair<std::string, std::string>>& dest_and_type);

// Walks every mount of `pid`; `entry` gets each entry, `data` the file's
// contents in pieces (total = entry.size). Fails on special files
// (fifos, sockets, devices) in a tmpfs: not supported yet.
void dump_tmpfs_contents(pid_t pid, const std::vector<std::string>& mounts,
                         const std::function<void(const TmpfsEntry&)>& entry,
                         const std::function<void(std::span<const std::byte>)>& data);

// Who could have made a tmpfs's entries: the bundle's process, as host ids,
// with its capabilities (permitted and effective). An entry's owner, group and
// setuid/setgid bits must be ones it could have given (see `check_maker`).
struct TmpfsMaker {
    uint32_t uid = 0, gid = 0;
    std::vector<uint32_t> groups;  // additionalGids
    uint64_t caps = 0;
};

class TmpfsRestorer {
public:
    // `allowed`: the bundle's tmpfs mount destinations.
    TmpfsRestorer(pid_t pid, std::set<std::string> allowed, TmpfsMaker maker);
    void begin(const TmpfsEntry& e);                 // creates it (a file is left open for data)
    void data(std::span<const std::byte> bytes);     // contents of the file begun last
    void end();                                      // the file is complete (size checked)

private:
    int mount_fd(const std::string& mount);
    void check_maker(const TmpfsEntry& e, int parent_fd) const;
    pid_t pid_;
    std::set<std::string> allowed_;
    TmpfsMaker maker_;
    std::vector<std::pair<std::string, UniqueFd>> mounts_;
    UniqueFd file_;
    uint64_t expected_ = 0, written_ = 0;
    std::string current_;
};

}  // namespace myrt::cr::ns
