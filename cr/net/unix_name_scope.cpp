#include "cr/net/unix_name_scope.hpp"

#include "util/error.hpp"

#include <fcntl.h>
#include <linux/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

namespace myrt::cr::net {

ScratchRoots::ScratchRoots() {
    UniqueFd fs(static_cast<int>(::syscall(SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC)));
    if (!fs) throw_errno("fsopen tmpfs (private roots for sockets bound to deleted paths)");
    // World-writable and sticky: the restore binds with the task's credentials.
    if (::syscall(SYS_fsconfig, fs.get(), FSCONFIG_SET_STRING, "mode", "1777", 0) < 0) throw_errno("fsconfig mode of the scratch tmpfs");
    if (::syscall(SYS_fsconfig, fs.get(), FSCONFIG_SET_STRING, "size", "1m", 0) < 0) throw_errno("fsconfig size of the scratch tmpfs");
    if (::syscall(SYS_fsconfig, fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) < 0) throw_errno("creating the scratch tmpfs");
    mnt_ = UniqueFd(static_cast<int>(::syscall(SYS_fsmount, fs.get(), FSMOUNT_CLOEXEC, MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC | MOUNT_ATTR_NOSUID)));
    if (!mnt_) throw_errno("fsmount of the scratch tmpfs");
}

namespace {

// mkdir -p of the directories above `name` (relative to the cwd, or to the root when absolute).
void make_parents(const std::string& name) {
    for (size_t slash = name.find('/', 1); slash != std::string::npos; slash = name.find('/', slash + 1)) {
        std::string dir = name.substr(0, slash);
        if (::mkdir(dir.c_str(), 0755) < 0 && errno != EEXIST) throw_errno("making {} in a private root for a socket", dir);
    }
}

void enter(const NameScope& scope, const ScratchRoots& scratch, const std::string& name) {
    if (scope.kind == NameScope::Kind::directory) {
        check(::chdir(scope.directory.c_str()), "entering {}, the directory a relative socket name was bound in", scope.directory);
        return;
    }
    std::string slot = std::to_string(scope.slot);
    if (::mkdirat(scratch.fd(), slot.c_str(), 0700) < 0 && errno != EEXIST) throw_errno("making private root {} for a socket", slot);
    UniqueFd root(::openat(scratch.fd(), slot.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!root) throw_errno("opening private root {} for a socket", slot);
    check(::fchdir(root.get()), "fchdir to a private root");
    check(::chroot("."), "chroot to a private root for a socket bound to a deleted path");
    make_parents(name);
}

}  // namespace

void in_name_scope(const NameScope& scope, const ScratchRoots& scratch, const std::string& name, const std::function<void()>& fn) {
    if (scope.kind == NameScope::Kind::container_root) return fn();
    UniqueFd root(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
    UniqueFd cwd(::open(".", O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root || !cwd) throw_errno("opening this thread's root and cwd");
    auto leave = [&] {
        // Failing to get back would leave the rest of the restore resolving in the wrong place.
        if (::fchdir(root.get()) < 0 || ::chroot(".") < 0 || ::fchdir(cwd.get()) < 0) {
            throw_errno("going back to the container's root after a socket name scope");
        }
    };
    try {
        enter(scope, scratch, name);
        fn();
    } catch (...) {
        leave();
        throw;
    }
    leave();
}

}  // namespace myrt::cr::net
