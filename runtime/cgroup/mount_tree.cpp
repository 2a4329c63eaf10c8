// The /sys/fs/cgroup a container sees. Without a cgroup namespace a fresh cgroupfs mount would
// show the host's whole tree (the leak runc+CRIU restores show here), so each hierarchy is a bind
// mount of the container's own directory; with one, the kernel roots a fresh mount at the
// namespace's root, which is the container's cgroup.
#include <dirent.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <set>

#include "runtime/cgroup/cgroup.hpp"
#include "runtime/cgroup/cgroupfs.hpp"
#include "util/error.hpp"

namespace myrt::cgroup {

namespace {

constexpr unsigned long kept_flags = MS_NOSUID | MS_NODEV | MS_NOEXEC;

std::string basename_of(const std::string& path) {
    auto pos = path.find_last_of('/');
    return pos == std::string::npos ? path : path.substr(pos + 1);
}

void make_dir(const std::string& dir) {
    if (::mkdir(dir.c_str(), 0755) < 0 && errno != EEXIST) throw_errno("cannot create {}", dir);
}

// A bind mount keeps its source's flags; what the config adds is applied to
// the whole tree at once by apply_flags.
void bind_mount(const std::string& source, const std::string& dest) {
    if (::mount(source.c_str(), dest.c_str(), nullptr, MS_BIND | MS_REC, nullptr) < 0)
        throw_errno("cannot bind-mount cgroup {} on {}", source, dest);
}

// ro, nosuid, nodev, noexec from the config on `target` and every mount
// under it, in one mount_setattr instead of a remount per hierarchy (each
// remount also had to repeat the source's locked flags). Attributes are only
// ever added, which is allowed even where the source's flags are locked.
void apply_flags(const std::string& target, unsigned long flags) {
    mount_attr attr{};
    if (flags & MS_RDONLY) attr.attr_set |= MOUNT_ATTR_RDONLY;
    if (flags & MS_NOSUID) attr.attr_set |= MOUNT_ATTR_NOSUID;
    if (flags & MS_NODEV) attr.attr_set |= MOUNT_ATTR_NODEV;
    if (flags & MS_NOEXEC) attr.attr_set |= MOUNT_ATTR_NOEXEC;
    if (attr.attr_set == 0) return;
    if (::mount_setattr(AT_FDCWD, target.c_str(), AT_RECURSIVE, &attr, sizeof attr) < 0)
        throw_errno("cannot apply the cgroup mount's flags to {}", target);
}

void mount_fs(const char* type, const std::string& dest, unsigned long flags, const std::string& data) {
    if (::mount(type, dest.c_str(), type, flags & (kept_flags | MS_RDONLY), data.empty() ? nullptr : data.c_str()) < 0)
        throw_errno("cannot mount {} on {}{}", type, dest, data.empty() ? "" : " (options " + data + ")");
}

// The mount options that select one v1 hierarchy: its controllers, or "none,name=X" for a named one.
std::string v1_options(const Hierarchy& h) {
    std::string out;
    bool only_named = true;
    for (auto& c : h.controllers) {
        out += (out.empty() ? "" : ",") + c;
        if (!c.starts_with("name=")) only_named = false;
    }
    return only_named ? "none," + out : out;
}

}  // namespace

void mount_cgroup_tree(const std::string& target, unsigned long flags, bool cgroupns, const Cgroup& cg) {
    if (target.empty() || target[0] != '/') fail("cgroup mount target \"{}\" must be an absolute path", target);
    if (!fs::dir_exists(target)) fail("cgroup mount target {} does not exist", target);

    if (cg.layout() == Layout::v2) {
        if (cgroupns) {
            mount_fs("cgroup2", target, flags, "");
        } else {
            bind_mount(cg.unified_dir(), target);
            apply_flags(target, flags);
        }
        return;
    }

    // The tmpfs holding the hierarchies is never a place for devices or programs.
    if (::mount("tmpfs", target.c_str(), "tmpfs", (flags & kept_flags) | MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755") < 0)
        throw_errno("cannot mount the cgroup tmpfs on {}", target);

    std::set<std::string> names;
    for (auto& h : cg.v1_hierarchies()) {
        std::string name = basename_of(h.mount_point);
        std::string dest = fs::join(target, name);
        make_dir(dest);
        if (cgroupns) mount_fs("cgroup", dest, flags, v1_options(h));
        else bind_mount(h.dir, dest);
        names.insert(name);
        // Co-mounted controllers are reachable by each name (cpu -> cpu,cpuacct), as on hosts that do so.
        if (h.controllers.size() > 1)
            for (auto& c : h.controllers) names.insert(c + "\n" + name);
    }
    if (cg.layout() == Layout::hybrid && !cg.unified_dir().empty()) {
        std::string dest = fs::join(target, basename_of(cg.unified_mount()));
        make_dir(dest);
        if (cgroupns) mount_fs("cgroup2", dest, flags, "");
        else bind_mount(cg.unified_dir(), dest);
    }

    // The host's own symlinks in its cgroup directory (e.g. "cpuacct -> cpu,cpuacct").
    std::set<std::pair<std::string, std::string>> links;
    for (auto& entry : names) {
        auto nl = entry.find('\n');
        if (nl != std::string::npos) links.insert({entry.substr(0, nl), entry.substr(nl + 1)});
    }
    if (!cg.v1_hierarchies().empty()) {
        std::string host_dir = cg.v1_hierarchies().front().mount_point;
        host_dir = host_dir.substr(0, host_dir.find_last_of('/'));
        if (DIR* raw = ::opendir(host_dir.c_str())) {
            std::unique_ptr<DIR, int (*)(DIR*)> dh(raw, ::closedir);
            while (auto* e = ::readdir(dh.get())) {
                if (e->d_type != DT_LNK) continue;
                char buf[256];
                ssize_t n = ::readlink(fs::join(host_dir, e->d_name).c_str(), buf, sizeof buf - 1);
                if (n <= 0) continue;
                std::string to(buf, static_cast<size_t>(n));
                if (names.count(to)) links.insert({e->d_name, to});
            }
        }
    }
    for (auto& [link, to] : links) {
        std::string path = fs::join(target, link);
        if (::symlink(to.c_str(), path.c_str()) < 0 && errno != EEXIST) throw_errno("cannot create symlink {} -> {}", path, to);
    }

    apply_flags(target, flags);
}

}  // namespace myrt::cgroup
