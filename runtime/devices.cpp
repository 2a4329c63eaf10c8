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

static void create_one(const std::string& rootfs, const spec::Device& d, bool bind_from_host) {
    std::string dst = resolve_in_root(rootfs, d.path);
    mkdir_p(dst.substr(0, dst.rfind('/')), 0755);
    if (bind_from_host) {
        UniqueFd fd(::open(dst.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
        if (!fd) throw_errno("create mount point for device {}", d.path);
        if (::mount(d.path.c_str(), dst.c_str(), nullptr, MS_BIND, nullptr) != 0)
            throw_errno("bind-mount device {} from the host", d.path);
        return;
    }
    mode_t type = 0;
    if (d.type == "c" || d.type == "u") type = S_IFCHR;
    else if (d.type == "b") type = S_IFBLK;
    else if (d.type == "p") type = S_IFIFO;
    else fail("linux.devices: device {} has unknown type \"{}\"", d.path, d.type);
    ::unlink(dst.c_str());
    mode_t mode = type | (d.file_mode ? (*d.file_mode & 07777) : 0666);
    if (::mknod(dst.c_str(), mode, makedev(static_cast<unsigned>(d.major), static_cast<unsigned>(d.minor))) != 0)
        throw_errno("mknod {} ({}:{})", d.path, d.major, d.minor);
    // mknod honours the umask; the spec's file mode is exact.
    check(::chmod(dst.c_str(), mode & 07777), "chmod {}", d.path);
    check(::chown(dst.c_str(), d.uid.value_or(0), d.gid.value_or(0)), "chown {}", d.path);
}

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
    const std::pair<const char*, const char*> links[] = {
        {"/proc/self/fd", "/dev/fd"},     {"/proc/self/fd/0", "/dev/stdin"},
        {"/proc/self/fd/1", "/dev/stdout"}, {"/proc/self/fd/2", "/dev/stderr"}};
    std::string dev = resolve_in_root(rootfs, "/dev");
    if (!exists(dev)) return;
    for (auto [target, link] : links) {
        std::string l = resolve_in_root(rootfs, link);
        if (::symlink(target, l.c_str()) != 0 && errno != EEXIST) throw_errno("symlink {}", link);
    }
    if (exists("/proc/kcore")) {
        std::string l = resolve_in_root(rootfs, "/dev/core");
        if (::symlink("/proc/kcore", l.c_str()) != 0 && errno != EEXIST) throw_errno("symlink /dev/core");
    }
    // The container's own devpts instance provides ptmx; /dev/ptmx must point at it.
    std::string pts = resolve_in_root(rootfs, "/dev/pts/ptmx");
    if (exists(pts)) {
        std::string l = dev + "/ptmx";
        ::unlink(l.c_str());
        if (::symlink("pts/ptmx", l.c_str()) != 0) throw_errno("symlink /dev/ptmx");
    }
}

}  // namespace myrt::runtime
