#pragma once
// One process's fds as /proc shows them, each sorted into the kind this layer
// knows how to restore, or named for the error that refuses it.
#include <sys/stat.h>
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace myrt::cr::files {

class FdKindOps;

// extension: a kind registered in fd_kind_ops.hpp (eventfd, socket, pty...) owns it.
// deleted_dir: a directory removed while open; symlink: an O_PATH fd on a symlink itself.
enum class FdKind { regular, directory, chardev, deleted, deleted_dir, symlink, pipe, fifo, extension, unsupported };

struct OpenFd {
    int fd = -1;
    std::string link;       // readlink of /proc/PID/fd/N
    struct stat st {};      // of the fd's target
    uint64_t pos = 0;       // fdinfo
    uint32_t flags = 0;     // fdinfo, O_CLOEXEC included
    int mnt_id = -1;        // fdinfo
    FdKind kind = FdKind::unsupported;
    std::string what;       // unsupported or extension: "eventfd", "socket", "pty"...
    std::string sock_proto; // a socket: its protocol as sockfs names it ("TCP", "UDPv6", "UNIX-STREAM"...)
    const FdKindOps* ops = nullptr;  // extension: the kind that owns it
};

// Reads /proc/PID/fd and /proc/PID/fdinfo; fds in ascending order. An fd no
// built-in kind takes is offered to the registered kinds (FdKindRegistry::global()).
std::vector<OpenFd> scan_fds(pid_t pid);
// One fd of `pid`, as scan_fds sees it.
OpenFd scan_fd(pid_t pid, int fd);

// The error text for an unsupported fd, naming fd, pid and kind.
std::string unsupported_message(pid_t pid, const OpenFd& fd);

// Mount ids of /proc/PID/mountinfo (the task's mount namespace).
std::vector<int> mount_ids(pid_t pid);

// Character devices a container may hold open and get back on restore:
// null, zero, full, random, urandom, tty.
bool restorable_chardev(dev_t rdev);
bool is_controlling_tty(dev_t rdev);  // /dev/tty (5:0): only the task itself can reopen it

}  // namespace myrt::cr::files
