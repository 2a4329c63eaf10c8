#include "runtime/devices.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "runtime/fs_util.hpp"
#include "runtime/path_resolve.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"

namespace myrt::runtime {

const std::vector<spec::Device>& default_devices() {
    static const std::vector<spec::Device> d = [] {
        auto dev = [](const char* path, int64_t major, int64_t minor) {
            spec::Device x;
            x.type = "c";
            x.path = path;
            x.major = major;
            x.minor = minor;
            x.file_mode = 0666;
            x.uid = 0;
            x.gid = 0;
            return x;
        };
        return std::vector<spec::Device>{dev("/dev/null", 1, 3),    dev("/dev/zero", 1, 5),
                                         dev("/dev/full", 1, 7),    dev("/dev/random", 1, 8),
                                         dev("/dev/urandom", 1, 9), dev("/dev/tty", 5, 0)};
    }();
    return d;
}

namespace {

// The directory that will hold a device or link, made if missing and opened
// with every component resolved inside the rootfs: a /dev that is a symlink,
// or a bind-mounted /dev, cannot send the node anywhere else.
UniqueFd open_parent_in_rootfs(const std::string& rootfs, const std::string& path, std::string& name) {
    auto slash = path.rfind('/');
    name = path.substr(slash + 1);
    if (name.empty() || name == "." || name == "..") fail("linux.devices: invalid device path {}", path);
    std::string parent = slash == std::string::npos ? "/" : path.substr(0, slash);
    mkdir_p(resolve_in_root(rootfs, parent), 0755);
    UniqueFd root(::open(rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root) throw_errno("open rootfs {}", rootfs);
    UniqueFd dir = open_in_root(root.get(), parent, O_PATH | O_DIRECTORY);
    if (!dir) throw_errno("open {} in the rootfs", parent.empty() ? "/" : parent);
    return dir;
}

// Removes what is at NAME without following it (a symlink goes, not its target).
void remove_entry(int dir, const std::string& name, const std::string& path) {
    if (::unlinkat(dir, name.c_str(), 0) == 0 || errno == ENOENT) return;
    throw_errno("remove {} before creating it", path);
}

void create_one(const std::string& rootfs, const spec::Device& d, bool bind_from_host) {
    std::string name;
    UniqueFd dir = open_parent_in_rootfs(rootfs, d.path, name);
    if (bind_from_host) {
        struct stat st;
        if (::fstatat(dir.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
            remove_entry(dir.get(), name, d.path);
        UniqueFd fd(::openat(dir.get(), name.c_str(), O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644));
        if (!fd) throw_errno("create mount point for device {}", d.path);
        // The mount goes on the file the fd holds, not on a path that could be swapped.
        std::string target = "/proc/self/fd/" + std::to_string(fd.get());
        if (::mount(d.path.c_str(), target.c_str(), nullptr, MS_BIND, nullptr) != 0)
            throw_errno("bind-mount device {} from the host", d.path);
        return;
    }
    mode_t type = 0;
    if (d.type == "c" || d.type == "u") type = S_IFCHR;
    else if (d.type == "b") type = S_IFBLK;
    else if (d.type == "p") type = S_IFIFO;
    else fail("linux.devices: device {} has unknown type \"{}\"", d.path, d.type);
    remove_entry(dir.get(), name, d.path);
    mode_t mode = type | (d.file_mode ? (*d.file_mode & 07777) : 0666);
    if (::mknodat(dir.get(), name.c_str(), mode, makedev(static_cast<unsigned>(d.major), static_cast<unsigned>(d.minor))) != 0)
        throw_errno("mknod {} ({}:{})", d.path, d.major, d.minor);
    // mknod honours the umask; the spec's file mode is exact. The node was
    // just made in a directory held open, so these reach it and only it.
    UniqueFd node(::openat(dir.get(), name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    if (!node) throw_errno("open the new device {}", d.path);
    std::string self = "/proc/self/fd/" + std::to_string(node.get());
    check(::chmod(self.c_str(), mode & 07777), "chmod {}", d.path);
    check(::fchownat(node.get(), "", d.uid.value_or(0), d.gid.value_or(0), AT_EMPTY_PATH), "chown {}", d.path);
}

}  // namespace

void create_devices(const std::string& rootfs, const std::vector<spec::Device>& extra, bool bind_from_host) {
    mode_t old = ::umask(0);
    try {
        for (const auto& d : default_devices()) {
            bool overridden = false;
            for (const auto& e : extra) overridden |= (e.path == d.path);
            if (!overridden) create_one(rootfs, d, bind_from_host);
        }
        for (const auto& d : extra) create_one(rootfs, d, bind_from_host);
    } catch (...) {
        ::umask(old);
        throw;
    }
    ::umask(old);
}

void create_dev_symlinks(const std::string& rootfs) {
    // Made in /dev held open, never through what is already there: a link
    // that exists (a bind-mounted host /dev has its own /dev/stdout) is kept.
    UniqueFd root(::open(rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root) throw_errno("open rootfs {}", rootfs);
    UniqueFd dev = open_in_root(root.get(), "/dev", O_PATH | O_DIRECTORY);
    if (!dev) {
        if (errno == ENOENT) return;
        throw_errno("open /dev in the rootfs");
    }
    const std::pair<const char*, const char*> links[] = {
        {"/proc/self/fd", "fd"}, {"/proc/self/fd/0", "stdin"}, {"/proc/self/fd/1", "stdout"}, {"/proc/self/fd/2", "stderr"}};
    for (auto [target, link] : links)
        if (::symlinkat(target, dev.get(), link) != 0 && errno != EEXIST) throw_errno("symlink /dev/{}", link);
    if (exists("/proc/kcore") && ::symlinkat("/proc/kcore", dev.get(), "core") != 0 && errno != EEXIST)
        throw_errno("symlink /dev/core");
    // The container's own devpts instance provides ptmx; /dev/ptmx must point at it.
    struct stat st;
    if (::fstatat(dev.get(), "pts/ptmx", &st, AT_SYMLINK_NOFOLLOW) == 0) {
        remove_entry(dev.get(), "ptmx", "/dev/ptmx");
        if (::symlinkat("pts/ptmx", dev.get(), "ptmx") != 0) throw_errno("symlink /dev/ptmx");
    }
}

}  // namespace myrt::runtime
