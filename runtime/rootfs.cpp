#include "runtime/rootfs.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime/bind_sources.hpp"
#include "runtime/cgroup/cgroup.hpp"
#include "runtime/devices.hpp"
#include "runtime/fs_util.hpp"
#include "runtime/path_resolve.hpp"
#include "runtime/rootless.hpp"
#include "spec/mount_options.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/fd.hpp"

namespace myrt::runtime {
namespace {

// Flags a bind remount must keep: the kernel refuses (EPERM) to clear
// nosuid/nodev/noexec/atime flags that are locked in a user namespace, and
// dropping them silently would weaken the mount (the "masked /proc path loses
// nosuid" bug seen after CRIU restores).
unsigned long kept_flags(const std::string& path) {
    struct statvfs sv;
    if (::statvfs(path.c_str(), &sv) != 0) return 0;
    unsigned long f = 0;
    if (sv.f_flag & ST_NOSUID) f |= MS_NOSUID;
    if (sv.f_flag & ST_NODEV) f |= MS_NODEV;
    if (sv.f_flag & ST_NOEXEC) f |= MS_NOEXEC;
    if (sv.f_flag & ST_NOATIME) f |= MS_NOATIME;
    if (sv.f_flag & ST_NODIRATIME) f |= MS_NODIRATIME;
    if (sv.f_flag & ST_RELATIME) f |= MS_RELATIME;
    return f;
}

void do_mount(const std::string& src, const std::string& dst, const std::string& type, unsigned long flags,
              const std::string& data) {
    if (::mount(src.empty() ? nullptr : src.c_str(), dst.c_str(), type.empty() ? nullptr : type.c_str(), flags,
                data.empty() ? nullptr : data.c_str()) != 0) {
        int e = errno;
        std::string what = type.empty() ? "bind-mount " + src : "mount " + type + " (" + src + ")";
        throw SystemError(e, what + " on " + dst + (data.empty() ? "" : " with options " + data));
    }
}

void create_mount_point(const std::string& dst, bool as_file) {
    struct stat st;
    if (::stat(dst.c_str(), &st) == 0) return;
    auto slash = dst.rfind('/');
    if (as_file) {
        mkdir_p(dst.substr(0, slash), 0755);
        UniqueFd fd(::open(dst.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
        if (!fd) throw_errno("create mount point {}", dst);
    } else {
        mkdir_p(dst, 0755);
    }
}

// `tree`: the source as a detached mount the runtime opened on the host side
// (BindSources), attached here; -1: bind the path itself.
void bind_mount(const std::string& src, const std::string& dst, const spec::MountFlags& o, int tree = -1) {
    struct stat st;
    if (tree >= 0 ? ::fstat(tree, &st) != 0 : ::stat(src.c_str(), &st) != 0) throw_errno("bind-mount source {}", src);
    create_mount_point(dst, !S_ISDIR(st.st_mode));
    if (tree >= 0) {
        if (::syscall(SYS_move_mount, tree, "", AT_FDCWD, dst.c_str(), MOVE_MOUNT_F_EMPTY_PATH) != 0)
            throw_errno("bind-mount {} on {} (attach the tree opened on the host)", src, dst);
    } else {
        do_mount(src, dst, "", MS_BIND | (o.flags & MS_REC), "");
    }
    unsigned long extra = o.flags & ~(MS_BIND | MS_REC | MS_REMOUNT);
    if (extra != 0) do_mount("", dst, "", MS_BIND | MS_REMOUNT | extra | kept_flags(dst), "");
}

void mount_one(const RootfsPlan& plan, const spec::Mount& m, size_t index) {
    std::string dst = resolve_in_root(plan.rootfs, m.destination);
    spec::MountFlags o = spec::parse_mount_flags(m.options);
    std::string type = m.type;
    if (type == "bind" || (o.bind() && type != "cgroup")) {
        bind_mount(m.source, dst, o, plan.bind_sources ? plan.bind_sources->tree_for(index) : -1);
    } else if (type == "cgroup" || type == "cgroup2") {
        create_mount_point(dst, false);
        if (!plan.cgroup) fail("mounts: a cgroup mount at {} needs the container's cgroup", m.destination);
        cgroup::mount_cgroup_tree(dst, o.flags, plan.new_cgroup_ns, *plan.cgroup);
    } else if (type == "sysfs" && plan.new_user_ns && !plan.new_net_ns) {
        // sysfs can only be mounted by the owner of the network namespace:
        // without a new one, bind the host's /sys as runc does.
        spec::MountFlags b = o;
        b.flags |= MS_BIND | MS_REC;
        bind_mount("/sys", dst, b);
    } else {
        struct stat covered;
        if (type == "tmpfs" && ::stat(dst.c_str(), &covered) == 0) {
            // As runc: a tmpfs takes the mode of the directory it covers; a
            // mode= of the config comes after and wins.
            o.data = fmt::format("mode={:04o}", covered.st_mode & 07777) + (o.data.empty() ? "" : "," + o.data);
        }
        create_mount_point(dst, false);
        unsigned long flags = o.flags & ~(MS_BIND | MS_REC | MS_REMOUNT);
        if (::mount(m.source.c_str(), dst.c_str(), type.c_str(), flags, o.data.empty() ? nullptr : o.data.c_str()) != 0) {
            int e = errno;
            if (type == "mqueue" && (e == EPERM || e == EBUSY)) {
                bind_mount("/dev/mqueue", dst, o);
            } else {
                throw SystemError(e, "mount " + type + " on " + m.destination +
                                         (o.data.empty() ? "" : " with options " + o.data));
            }
        }
    }
    for (unsigned long p : o.propagation) do_mount("", dst, "", p, "");
    if (o.recursive()) {
        // rro, rnosuid...: the attributes reach every submount of the tree.
        mount_attr attr{};
        attr.attr_set = o.attr_set;
        attr.attr_clr = o.attr_clr;
        if (::mount_setattr(AT_FDCWD, dst.c_str(), AT_RECURSIVE, &attr, sizeof attr) != 0)
            throw_errno("set recursive mount attributes on {}", m.destination);
    }
}

bool dev_is_bind_mounted(const spec::Config& c) {
    for (auto& m : c.mounts) {
        if (m.destination != "/dev") continue;
        if (m.type == "bind" || spec::parse_mount_flags(m.options).bind()) return true;
    }
    return false;
}

unsigned long root_propagation(const std::string& p) {
    if (p.empty()) return MS_SLAVE | MS_REC;
    if (p == "private") return MS_PRIVATE;
    if (p == "rprivate") return MS_PRIVATE | MS_REC;
    if (p == "shared") return MS_SHARED;
    if (p == "rshared") return MS_SHARED | MS_REC;
    if (p == "slave") return MS_SLAVE;
    if (p == "rslave") return MS_SLAVE | MS_REC;
    if (p == "unbindable") return MS_UNBINDABLE;
    if (p == "runbindable") return MS_UNBINDABLE | MS_REC;
    fail("linux.rootfsPropagation: unknown propagation \"{}\"", p);
}

// The mount the rootfs lives on must not be shared: pivot_root(2) refuses a
// new root whose parent is shared (EINVAL), and the rootfs bind below would
// propagate to the peers of that parent, outside the container. A slave
// config keeps the parent a slave (it still receives the host's mounts);
// anything else makes it private. Walks up until it finds the mount point
// (EINVAL: not a mount point).
void make_rootfs_parent_unshared(std::string path, unsigned long root_flags) {
    unsigned long flags = (root_flags & MS_SLAVE) ? MS_SLAVE : MS_PRIVATE;
    for (;;) {
        if (::mount(nullptr, path.c_str(), nullptr, flags, nullptr) == 0) return;
        int e = errno;
        if (e != EINVAL || path == "/")
            throw SystemError(e, "make the mount above the rootfs (" + path + ") " +
                                     (flags == MS_SLAVE ? "a slave" : "private"));
        auto slash = path.rfind('/');
        path = slash == 0 ? "/" : path.substr(0, slash);
    }
}

void apply_root_propagation_inside(const spec::Config& c) {
    unsigned long flags = root_propagation(c.linux.rootfs_propagation);
    if (c.linux.rootfs_propagation.empty() || (flags & (MS_PRIVATE | MS_SLAVE))) return;
    check(::mount(nullptr, "/", nullptr, flags, nullptr), "apply linux.rootfsPropagation \"{}\" to the container's root",
          c.linux.rootfs_propagation);
}

void prepare_root_mount(const RootfsPlan& plan) {
    unsigned long root_flags = root_propagation(plan.config->linux.rootfs_propagation);
    // As runc: the propagation goes on the runtime's "/" now (slave or private
    // cut the container's mounts off from the host before any is made);
    // shared and unbindable are applied again to the container's own root
    // once it is "/" (finalize_rootfs), where they concern only the container.
    // Unbindable is private too, but not yet: an unbindable "/" (or tree) would
    // refuse the binds of the rootfs and of the cgroup view that come next.
    if (root_flags & MS_UNBINDABLE) root_flags = MS_PRIVATE | MS_REC;
    do_mount("", "/", "", root_flags, "");
    make_rootfs_parent_unshared(plan.rootfs, root_flags);
    // pivot_root needs the new root to be a mount point of its own.
    do_mount(plan.rootfs, plan.rootfs, "", MS_BIND | MS_REC, "");
}

// As runc: a process.cwd missing from the rootfs is made (owned by root,
// 0755) while the rootfs is still writable, even when root.readonly is set.
void create_cwd(const RootfsPlan& plan) {
    const auto& proc = plan.config->process;
    if (!proc || proc->cwd.empty()) return;
    std::string dir = resolve_in_root(plan.rootfs, proc->cwd);
    struct stat st;
    if (::stat(dir.c_str(), &st) == 0) {
        if (!S_ISDIR(st.st_mode)) fail("process.cwd: {} exists in the rootfs and is not a directory", proc->cwd);
        return;
    }
    try {
        mkdir_p(dir, 0755);
    } catch (const SystemError& e) {
        fail("process.cwd: cannot create {} in the rootfs: {}", proc->cwd, e.what());
    }
}

}  // namespace

void prepare_rootfs(const RootfsPlan& plan) {
    const auto& c = *plan.config;
    if (plan.own_mount_ns) prepare_root_mount(plan);
    for (size_t i = 0; i < c.mounts.size(); ++i) mount_one(plan, c.mounts[i], i);
    // Nodes cannot be made without the host's root (a new user namespace, or the runtime in one).
    if (!dev_is_bind_mounted(c)) create_devices(plan.rootfs, c.linux.devices, plan.new_user_ns || rootless_caller());
    create_dev_symlinks(plan.rootfs);
    create_cwd(plan);
}

void enter_rootfs(const RootfsPlan& plan) {
    if (!plan.own_mount_ns) {
        // Nothing to pivot: the mounts are the runtime's own (as runc: chroot).
        check(::chdir(plan.rootfs.c_str()), "chdir {}", plan.rootfs);
        check(::chroot("."), "chroot {}", plan.rootfs);
        check(::chdir("/"), "chdir /");
        return;
    }
    if (plan.no_pivot) {
        check(::chdir(plan.rootfs.c_str()), "chdir {}", plan.rootfs);
        do_mount(plan.rootfs, "/", "", MS_MOVE, "");
        check(::chroot("."), "chroot {}", plan.rootfs);
        check(::chdir("/"), "chdir /");
        return;
    }
    // pivot_root(".", ".") stacks the old root on top of the new one; detaching
    // it afterwards avoids needing a directory for the old root in the rootfs.
    UniqueFd old_root(check(::open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC), "open /"));
    UniqueFd new_root(check(::open(plan.rootfs.c_str(), O_DIRECTORY | O_RDONLY | O_CLOEXEC), "open {}", plan.rootfs));
    check(::fchdir(new_root.get()), "chdir {}", plan.rootfs);
    check(static_cast<int>(::syscall(SYS_pivot_root, ".", ".")), "pivot_root into {}", plan.rootfs);
    check(::fchdir(old_root.get()), "chdir to the old root");
    // Keep unmount events of the old root from propagating to the host.
    check(::mount(nullptr, ".", nullptr, MS_SLAVE | MS_REC, nullptr), "make the old root a slave");
    check(::umount2(".", MNT_DETACH), "unmount the old root");
    check(::chdir("/"), "chdir /");
}

void finalize_rootfs(const RootfsPlan& plan) {
    const auto& c = *plan.config;
    if (!plan.own_mount_ns) {
        // A read-only remount of "/" would reach the runtime's mount holding
        // the rootfs; runc leaves it writable too (validation refused the
        // masked and readonly paths).
        if (c.root.readonly) log::warn("root.readonly is ignored: the container shares the runtime's mount namespace");
        return;
    }
    for (const auto& p : c.linux.readonly_paths) {
        struct stat st;
        if (::stat(p.c_str(), &st) != 0) {
            if (errno == ENOENT) continue;
            throw_errno("readonly path {}", p);
        }
        do_mount(p, p, "", MS_BIND | MS_REC, "");
        // Read-only down the whole subtree, in one call that only adds the
        // flag (a remount would have to repeat every locked flag).
        mount_attr attr{};
        attr.attr_set = MOUNT_ATTR_RDONLY;
        if (::mount_setattr(AT_FDCWD, p.c_str(), AT_RECURSIVE, &attr, sizeof attr) != 0)
            throw_errno("make readonly path {} read-only", p);
    }
    for (const auto& p : c.linux.masked_paths) {
        struct stat st;
        if (::stat(p.c_str(), &st) != 0) {
            if (errno == ENOENT) continue;
            throw_errno("masked path {}", p);
        }
        if (S_ISDIR(st.st_mode)) {
            do_mount("tmpfs", p, "tmpfs", MS_RDONLY, "");
        } else {
            do_mount("/dev/null", p, "", MS_BIND, "");
        }
    }
    if (c.root.readonly) do_mount("", "/", "", MS_BIND | MS_REMOUNT | MS_RDONLY | kept_flags("/"), "");
    // Last: an unbindable tree would refuse the binds of the paths above.
    apply_root_propagation_inside(c);
}

}  // namespace myrt::runtime
