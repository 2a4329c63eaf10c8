// Restore side: the restorer recreates every shared object once (opening
// paths inside the container root, refilling pipes, recreating deleted files)
// and hands the descriptions to each task over an fd channel.
#include "cr/files/fd_channel.hpp"
#include "cr/files/fd_scan.hpp"
#include "cr/files/files.hpp"
#include "cr/files/path_in_root.hpp"
#include "util/error.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <set>

namespace myrt::cr::files {

namespace {

namespace img = myrt::cr::image;

// What the restorer holds for one open file description.
struct OpenDescription {
    UniqueFd fd;               // invalid for the controlling tty
    bool controlling_tty = false;
    std::string proc_path;     // a procfs file: opened by the task itself (see open_file)
    uint64_t pos = 0;          // its offset
    uint32_t flags = 0;
    const FdKindOps* ops = nullptr;  // a registered kind's description
    // A deleted inode (kind deleted_inode): the restorer's read-write (file)
    // or O_PATH (directory) handle, which alias descriptions reopen.
    UniqueFd inode;
    mode_t inode_type = 0;
    bool has_owner = false;
    int owner_type = 0, owner_pid = 0, owner_signum = 0;
};

struct PipeEnds {
    UniqueFd rd, wr;
    uint32_t size = 0;
    // Set when the data belongs to a named FIFO: the restorer's read-write
    // open of the FIFO, which holds the data moved over from rd.
    UniqueFd fifo;
    bool used_as_pipe = false;
};

// The kernel's O_LARGEFILE, which fdinfo shows on every 64-bit description
// (glibc defines O_LARGEFILE as 0 on x86_64).
constexpr uint32_t kernel_o_largefile = 0100000;
// Bits a description's flags may carry in an image: anything else is refused.
constexpr uint32_t known_file_flags = O_ACCMODE | O_APPEND | O_NONBLOCK | O_DSYNC | O_DIRECT | kernel_o_largefile |
                                      O_DIRECTORY | O_NOFOLLOW | O_NOATIME | O_SYNC | O_PATH | FASYNC;
constexpr uint32_t max_restored_fd = 1u << 20;  // fs.nr_open's ceiling

void check_pos(int fd, uint64_t pos, std::string_view path) {
    if (pos > static_cast<uint64_t>(INT64_MAX)) fail("file {}: offset {} in the image is out of range", path, pos);
    if (::lseek(fd, static_cast<off_t>(pos), SEEK_SET) != static_cast<off_t>(pos))
        throw_errno("seeking {} to offset {}", path, pos);
}

// The restorer's own temp file is read-write; the task gets a description
// with the dumped access mode and flags, reopened through /proc/self/fd.
UniqueFd reopen(int fd, uint32_t flags, std::string_view what) {
    std::string self = fmt::format("/proc/self/fd/{}", fd);
    // O_NOFOLLOW would open the magic link itself; O_DIRECTORY stays, fdinfo shows it.
    // Not FASYNC: open() would record the flag without registering the file
    // for SIGIO, and a later F_SETFL would see nothing to change.
    UniqueFd out(::open(self.c_str(), static_cast<int>(flags & ~static_cast<uint32_t>(O_NOFOLLOW | FASYNC)) | O_CLOEXEC | O_NOCTTY));
    if (!out) throw_errno("reopening {} with flags {:o}", what, flags);
    // O_ASYNC is registered by the task itself (restore_fd_owners): the kernel
    // keeps the fd number of the F_SETFL call and puts it in each SIGIO's si_fd.
    return out;
}

void read_contents(img::RecordReader& r, uint64_t objref, uint64_t total, int out_fd, std::string_view what) {
    uint64_t done = 0;
    while (done < total) {
        auto h = r.next();
        if (!h || h->type != static_cast<uint32_t>(img::RecordType::buffer) || h->objref != objref)
            r.fail_at("{}: expected {} more bytes of contents in BUFFER records of objref {}", what, total - done, objref);
        auto data = r.read_buffer();
        if (data.size() > total - done) r.fail_at("{}: contents longer than the {} bytes announced", what, total);
        size_t off = 0;
        while (off < data.size()) {
            ssize_t n = ::write(out_fd, data.data() + off, data.size() - off);
            if (n < 0) throw_errno("writing the contents of {}", what);
            off += static_cast<size_t>(n);
        }
        done += data.size();
    }
}

UniqueFd root_dir(const RestoreContext& ctx) {
    UniqueFd root(::open(ctx.root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root) throw_errno("open the container root {}", ctx.root);
    return root;
}

// For file systems without O_TMPFILE: a fresh name, unlinked at once.
UniqueFd create_and_unlink(int dir_fd, mode_t mode) {
    for (int attempt = 0; attempt < 16; ++attempt) {
        uint64_t r = 0;
        if (::getrandom(&r, sizeof r, 0) != sizeof r) throw_errno("getrandom");
        std::string name = fmt::format(".myrt-deleted-{:016x}", r);
        UniqueFd fd(::openat(dir_fd, name.c_str(), O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC | O_NOFOLLOW, mode));
        if (!fd && errno == EEXIST) continue;
        if (!fd) return fd;
        check(::unlinkat(dir_fd, name.c_str(), 0), "unlink temp file {}", name);
        return fd;
    }
    errno = EEXIST;
    return UniqueFd();
}

// A deleted directory: made under a fresh name in its old parent (or the
// root), opened, and removed at once.
UniqueFd recreate_deleted_dir(int dir_fd, mode_t mode, const std::string& path) {
    for (int attempt = 0; attempt < 16; ++attempt) {
        uint64_t rnd = 0;
        if (::getrandom(&rnd, sizeof rnd, 0) != sizeof rnd) throw_errno("getrandom");
        std::string name = fmt::format(".myrt-deleted-{:016x}", rnd);
        if (::mkdirat(dir_fd, name.c_str(), 0700) != 0) {
            if (errno == EEXIST) continue;
            throw_errno("making a directory for deleted {}", path);
        }
        UniqueFd fd(::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        int saved = errno;
        ::unlinkat(dir_fd, name.c_str(), AT_REMOVEDIR);
        if (!fd) {
            errno = saved;
            throw_errno("opening the directory made for deleted {}", path);
        }
        check(::fchmod(fd.get(), mode), "mode {:04o} on the directory for deleted {}", mode, path);
        return fd;
    }
    fail("deleted {}: no free temporary directory name", path);
}

// Run as the task: a new unlinked inode for deleted `path` (a regular file as
// an O_TMPFILE, or a removed directory) next to where it lived, or in the
// container root when that directory is gone too, with the image's mode,
// which must be one the task can set.
UniqueFd make_unlinked_inode(const RestoreContext& ctx, int root_fd, const std::string& path, mode_t mode,
                             bool directory) {
    std::string dir = path.substr(0, path.rfind('/') == std::string::npos ? 0 : path.rfind('/'));
    UniqueFd dir_fd = open_in_root(root_fd, dir, O_PATH | O_DIRECTORY);
    if (!dir_fd) dir_fd = open_in_root(root_fd, "/", O_PATH | O_DIRECTORY);
    if (!dir_fd) throw_errno("open the container root {}", ctx.root);
    UniqueFd inode;
    if (directory) {
        inode = recreate_deleted_dir(dir_fd.get(), mode, path);
    } else {
        inode.reset(::openat(dir_fd.get(), ".", O_TMPFILE | O_RDWR | O_CLOEXEC, mode));
        if (!inode && errno == EOPNOTSUPP) inode = create_and_unlink(dir_fd.get(), mode);
        if (!inode) throw_errno("creating a temp file for deleted {} in {} of the container root", path, dir.empty() ? "/" : dir);
        ::fchmod(inode.get(), mode);  // O_TMPFILE's mode went through the umask
    }
    struct stat st {};
    check(::fstat(inode.get(), &st), "fstat of the copy of deleted {}", path);
    if ((st.st_mode & 07777) != mode)
        fail("deleted {}: mode {:04o} in the image is not one its task can set (it got {:04o}: a setgid bit "
             "needs the file's group or CAP_FSETID)",
             path, mode, st.st_mode & 07777);
    return inode;
}

// A deleted file comes back as an O_TMPFILE in its old directory (or the
// root when that is gone too): unlinked from the start, so nothing is left
// behind if the restore fails.
// The file is created, moded and reopened with the task's credentials: it is
// the task's own file, and a mode the task could not set (setgid on a group it
// is not in, which the kernel drops silently) is refused by name.
UniqueFd recreate_deleted(img::RecordReader& r, RestoreContext& ctx, uint64_t objref, const img::FileRecord& rec,
                          const std::string& path) {
    UniqueFd root = root_dir(ctx);
    const mode_t mode = rec.mode & 07777;
    UniqueFd tmp;
    ctx.run_as_task([&] {
        tmp = make_unlinked_inode(ctx, root.get(), path, mode, false);
    });
    read_contents(r, objref, rec.size, tmp.get(), path);
    UniqueFd out;
    ctx.run_as_task([&] { out = reopen(tmp.get(), rec.flags, path); });
    if (!(rec.flags & O_PATH)) check_pos(out.get(), rec.pos, path);
    return out;
}

// Times, then owner of a recreated deleted inode, set with the task's
// credentials (times first: once given away, the file is no longer the
// task's to touch). An owner the task could not give its own file is
// refused, and so is a mode the change of owner cleared (set-id bits).
void set_times_and_owner(int fd, const img::DeletedFileRecord& meta, mode_t mode, const std::string& path) {
    const struct timespec times[2] = {{meta.atime_sec, meta.atime_nsec}, {meta.mtime_sec, meta.mtime_nsec}};
    check(::futimens(fd, times), "setting the times of deleted {}", path);
    struct stat st {};
    check(::fstat(fd, &st), "fstat of the copy of deleted {}", path);
    if (st.st_uid == meta.uid && st.st_gid == meta.gid) return;
    if (::fchown(fd, meta.uid, meta.gid) != 0)
        throw_errno("deleted {}: its owner {}:{} is not one its task can give its own file", path, meta.uid, meta.gid);
    check(::fstat(fd, &st), "fstat of the copy of deleted {}", path);
    if ((st.st_mode & 07777) != mode && ::fchmod(fd, mode) != 0)
        throw_errno("deleted {}: mode {:04o} with owner {}:{} is not one its task can set", path, mode, meta.uid, meta.gid);
}

// The data extents of a deleted file, written at their offsets into a file
// already truncated to its size: the holes between them stay holes.
void read_extents(img::RecordReader& r, uint64_t objref, const img::FileRecord& rec, const img::DeletedFileRecord& meta,
                  int out_fd, const std::string& path) {
    uint64_t end = 0;
    for (uint32_t i = 0; i < meta.nr_extents; ++i) {
        img::RecordHeader h{};
        auto e = r.expect<img::RecordType::file_extent>(&h);
        if (h.objref != objref) r.fail_at("FILE_EXTENT of objref {} inside deleted {} (objref {})", h.objref, path, objref);
        if (e.length == 0 || e.offset < end || e.offset > rec.size || e.length > rec.size - e.offset)
            r.fail_at("deleted {}: extent {}+{} overlaps an earlier one or lies outside its {} bytes", path, e.offset, e.length,
                      rec.size);
        if (::lseek(out_fd, static_cast<off_t>(e.offset), SEEK_SET) != static_cast<off_t>(e.offset))
            throw_errno("seeking the copy of deleted {} to {}", path, e.offset);
        read_contents(r, objref, e.length, out_fd, path);
        end = e.offset + e.length;
    }
}


// A deleted file or directory (kind deleted_inode): recreated unlinked from
// the start (O_TMPFILE, or a removed directory) with the task's credentials,
// filled extent by extent, then its owner and times; the description is a
// reopen with the dumped flags, and the inode handle stays for its aliases.
void recreate_deleted_inode(img::RecordReader& r, RestoreContext& ctx, uint64_t objref, const img::FileRecord& rec,
                            const std::string& path, OpenDescription& d) {
    const mode_t type = rec.mode & S_IFMT;
    if (type != S_IFREG && type != S_IFDIR) r.fail_at("FILE objref {}: a deleted inode of type {:o}", objref, type);
    if (type == S_IFDIR && rec.size != 0) r.fail_at("FILE objref {}: a deleted directory with contents", objref);
    img::RecordHeader h{};
    auto meta = r.expect<img::RecordType::deleted_file>(&h);
    if (h.objref != objref) r.fail_at("DELETED_FILE of objref {} after the FILE of {}", h.objref, objref);
    if (meta.reserved != 0) r.fail_at("DELETED_FILE objref {}: reserved field is not zero", objref);
    if (meta.atime_nsec < 0 || meta.atime_nsec >= 1000000000 || meta.mtime_nsec < 0 || meta.mtime_nsec >= 1000000000)
        r.fail_at("DELETED_FILE objref {}: times out of range", objref);
    if (type == S_IFDIR && meta.nr_extents != 0) r.fail_at("DELETED_FILE objref {}: a directory with extents", objref);
    if (rec.size > static_cast<uint64_t>(INT64_MAX)) r.fail_at("FILE objref {}: size {} out of range", objref, rec.size);
    UniqueFd root = root_dir(ctx);
    const mode_t mode = rec.mode & 07777;
    UniqueFd inode;
    ctx.run_as_task([&] {
        inode = make_unlinked_inode(ctx, root.get(), path, mode, type == S_IFDIR);
        if (type == S_IFREG) check(::ftruncate(inode.get(), static_cast<off_t>(rec.size)), "sizing deleted {} to {} bytes", path, rec.size);
    });
    if (type == S_IFREG) read_extents(r, objref, rec, meta, inode.get(), path);
    ctx.run_as_task([&] {
        d.fd = reopen(inode.get(), rec.flags, path);
        set_times_and_owner(inode.get(), meta, mode, path);
    });
    if (!(rec.flags & O_PATH) && type == S_IFREG) check_pos(d.fd.get(), rec.pos, path);
    d.inode = std::move(inode);
    d.inode_type = type;
}

// A named FIFO: the first description of it opens the node read-write
// (never blocks, and keeps the FIFO's buffer alive) and moves the data in
// flight over from the pipe the PIPE record filled. Every description is
// then a reopen of that with the dumped access mode: a blocking open finds
// the restorer's read-write open as its peer and does not wait.
UniqueFd open_fifo(RestoreContext& ctx, const img::FileRecord& rec, int probe, const std::string& path) {
    auto& data = ctx.objs.fetch<PipeEnds>(rec.pipe_objref, objhash::kind::pipe);
    if (data.used_as_pipe) fail("FIFO {}: its data object is also an anonymous pipe in the image", path);
    // The restorer's read-write open needs more than the task may have: the
    // task's credentials are checked for the access mode it had.
    int want = (rec.flags & O_ACCMODE) == O_RDONLY ? R_OK : (rec.flags & O_ACCMODE) == O_WRONLY ? W_OK : R_OK | W_OK;
    ctx.run_as_task([&] {
        if (::syscall(SYS_faccessat2, probe, "", want, AT_EMPTY_PATH | AT_EACCESS) != 0)
            throw_errno("FIFO {} inside the container root: its task may not open it {}", path,
                        want == R_OK ? "for reading" : want == W_OK ? "for writing" : "for reading and writing");
    });
    if (!data.fifo) {
        data.fifo = reopen(probe, O_RDWR | O_NONBLOCK, path);
        int cur = check(::fcntl(data.fifo.get(), F_GETPIPE_SZ), "F_GETPIPE_SZ on FIFO {}", path);
        if (static_cast<uint32_t>(cur) < data.size)
            check(::fcntl(data.fifo.get(), F_SETPIPE_SZ, static_cast<int>(data.size)), "sizing FIFO {} to {} bytes", path, data.size);
        for (;;) {
            ssize_t n = ::splice(data.rd.get(), nullptr, data.fifo.get(), nullptr, 1 << 20, SPLICE_F_NONBLOCK);
            if (n == 0 || (n < 0 && errno == EAGAIN)) break;
            if (n < 0) throw_errno("moving the data in flight into FIFO {}", path);
        }
        int left = 0;
        check(::ioctl(data.rd.get(), FIONREAD, &left), "FIONREAD");
        if (left != 0) fail("FIFO {}: {} bytes of its data in flight did not fit back in", path, left);
    }
    return reopen(data.fifo.get(), rec.flags & (O_ACCMODE | O_NONBLOCK | O_DIRECT | FASYNC), path);
}

OpenDescription open_file(img::RecordReader& r, RestoreContext& ctx, uint64_t objref, const img::FileRecord& rec) {
    auto h = r.next();
    if (!h || h->type != static_cast<uint32_t>(img::RecordType::string) || h->objref != objref)
        r.fail_at("FILE objref {}: expected its path in a STRING record", objref);
    std::string path = r.read_string();
    if (path.find('\0') != std::string::npos) r.fail_at("FILE objref {}: path holds a NUL byte", objref);
    if (auto why = non_canonical_reason(path))
        r.fail_at("FILE objref {}: path {} is not one a checkpoint writes: {}", objref, path, *why);
    OpenDescription d;
    d.flags = rec.flags;
    if (rec.kind == img::file_kind_deleted) {
        if ((rec.mode & S_IFMT) != S_IFREG) r.fail_at("FILE objref {}: a deleted file must be a regular file", objref);
        d.fd = recreate_deleted(r, ctx, objref, rec, path);
        return d;
    }
    if (rec.kind == img::file_kind_deleted_inode) {
        recreate_deleted_inode(r, ctx, objref, rec, path, d);
        return d;
    }
    if (rec.kind == img::file_kind_deleted_alias) {
        // Another description of a deleted inode recreated earlier: the same inode, reopened.
        auto& first = ctx.objs.fetch<OpenDescription>(rec.pipe_objref, objhash::kind::file);
        if (!first.inode) r.fail_at("FILE objref {}: objref {} is not a deleted inode", objref, rec.pipe_objref);
        if (first.inode_type != (rec.mode & S_IFMT)) r.fail_at("FILE objref {}: its type is not its inode's", objref);
        // With the restorer's credentials: the inode is the restore's own
        // making, and the task could have opened every description of it
        // before giving it away (chown, checked with its credentials).
        d.fd = reopen(first.inode.get(), rec.flags, path);
        if (!(rec.flags & O_PATH) && first.inode_type == S_IFREG) check_pos(d.fd.get(), rec.pos, path);
        return d;
    }
    if (rec.size != 0) r.fail_at("FILE objref {} ({}): only deleted files carry contents", objref, path);
    if (rec.kind == img::file_kind_symlink && !(rec.flags & O_PATH))
        r.fail_at("FILE objref {} ({}): a symlink is held only by an O_PATH fd", objref, path);
    if (rec.kind == img::file_kind_chardev) {
        if (!restorable_chardev(static_cast<dev_t>(rec.rdev)))
            r.fail_at("FILE objref {} ({}): character device {:#x} is not one a container may get back", objref, path, rec.rdev);
        if (is_controlling_tty(static_cast<dev_t>(rec.rdev))) {
            d.controlling_tty = true;  // opened by the task itself: it means the task's own terminal
            return d;
        }
    }
    // Look before opening: the container may have put a FIFO (an open would
    // block the restorer) or a device node (an open can have side effects) at
    // the path. An O_PATH open has no effect on the object; its type is
    // checked, and only then is it reopened with the dumped flags.
    // Both opens run with the task's credentials: the path lookup and the
    // open itself face the checks the task would (a root-only file is refused).
    UniqueFd root = root_dir(ctx);
    UniqueFd probe;
    ctx.run_as_task([&] {
        probe = open_in_root(root.get(), path, O_PATH | O_NOFOLLOW);
        if (!probe)
            throw_errno("opening {} inside the container root {} with the credentials of its task{}", path, ctx.root,
                        errno == EACCES && ctx.as_task ? fmt::format(" ({})", ctx.as_task->credentials().describe()) : "");
    });
    struct stat st {};
    check(::fstat(probe.get(), &st), "fstat {}", path);
    mode_t want = rec.mode & S_IFMT;
    if ((st.st_mode & S_IFMT) != want)
        fail("{} inside the container root is a file of type {:o}, the image had type {:o}", path, st.st_mode & S_IFMT, want);
    if (rec.kind == img::file_kind_chardev && st.st_rdev != static_cast<dev_t>(rec.rdev))
        fail("{} inside the container root is device {:#x}, the image had {:#x}", path, st.st_rdev, rec.rdev);
    if (rec.kind == img::file_kind_fifo) {
        d.fd = open_fifo(ctx, rec, probe.get(), path);
        return d;
    }
    // A procfs file (/proc/N/maps...) is the view of a process, which only
    // that process may always open (ptrace access rules); the restored task
    // opens it itself once it exists, and the path resolves in its own /proc.
    struct statfs sfs {};
    if (!(rec.flags & O_PATH) && ::fstatfs(probe.get(), &sfs) == 0 && sfs.f_type == PROC_SUPER_MAGIC) {
        if (rec.kind != img::file_kind_regular) fail("{} inside the container root: a procfs file of kind {}", path, rec.kind);
        d.proc_path = path;
        d.pos = rec.pos;
        return d;
    }
    if (rec.flags & O_PATH) {
        // The probe is O_PATH | O_NOFOLLOW: right for a symlink itself (and an
        // fd opened that way); any other O_PATH fd is the probe reopened with its flags.
        if (rec.kind == img::file_kind_symlink || (rec.flags & O_NOFOLLOW)) d.fd = std::move(probe);
        else d.fd = reopen(probe.get(), rec.flags, path);
    } else {
        ctx.run_as_task([&] {
            try {
                d.fd = reopen(probe.get(), rec.flags, path);
            } catch (const SystemError& e) {
                if (e.code() != EACCES && e.code() != EPERM) throw;
                fail("{} inside the container root: its task may not open it with flags {:o} ({}): {}", path, rec.flags,
                     ctx.as_task ? ctx.as_task->credentials().describe() : "the restorer's credentials", e.what());
            }
        });
    }
    if (!(rec.flags & O_PATH) && rec.kind != img::file_kind_chardev) check_pos(d.fd.get(), rec.pos, path);
    return d;
}

void read_file_object(img::RecordReader& r, RestoreContext& ctx, uint64_t objref) {
    img::RecordHeader h{};
    auto rec = r.expect<img::RecordType::file>(&h);
    if (h.objref != objref) r.fail_at("FILE record for objref {} follows the OBJREF of {}", h.objref, objref);
    if (rec.reserved != 0) r.fail_at("FILE objref {}: reserved field is not zero", objref);
    if (rec.flags & ~known_file_flags) r.fail_at("FILE objref {}: unknown open flags {:o}", objref, rec.flags & ~known_file_flags);
    if ((rec.flags & O_ACCMODE) == O_ACCMODE) r.fail_at("FILE objref {}: invalid access mode", objref);
    const uint32_t type = rec.mode & S_IFMT;
    if (const FdKindOps* ops = FdKindRegistry::global().find(rec.kind)) {
        if (rec.pipe_objref != 0 || rec.size != 0 || rec.pos != 0 || rec.rdev != 0)
            r.fail_at("FILE objref {} ({}): fields set that only plain files use", objref, ops->name());
        OpenDescription d;
        d.flags = rec.flags;
        d.ops = ops;
        d.fd = ops->restore(r, ctx, objref, rec);
        if (!d.fd) r.fail_at("FILE objref {} ({}): the kind gave no descriptor", objref, ops->name());
        ctx.objs.install(objref, objhash::kind::file, std::move(d));
        return;
    }
    switch (rec.kind) {
    case img::file_kind_regular:
    case img::file_kind_deleted:
        if (type != S_IFREG) r.fail_at("FILE objref {}: a regular file with mode {:o}", objref, rec.mode);
        break;
    case img::file_kind_deleted_inode:
    case img::file_kind_deleted_alias:
        if (type != S_IFREG && type != S_IFDIR) r.fail_at("FILE objref {}: a deleted inode with mode {:o}", objref, rec.mode);
        if ((rec.kind == img::file_kind_deleted_alias) != (rec.pipe_objref != 0))
            r.fail_at("FILE objref {}: only an alias names the description of its inode", objref);
        if (rec.kind == img::file_kind_deleted_alias && rec.size != 0) r.fail_at("FILE objref {}: an alias with contents", objref);
        break;
    case img::file_kind_symlink:
        if (type != S_IFLNK) r.fail_at("FILE objref {}: a symlink with mode {:o}", objref, rec.mode);
        break;
    case img::file_kind_directory:
        if (type != S_IFDIR) r.fail_at("FILE objref {}: a directory with mode {:o}", objref, rec.mode);
        break;
    case img::file_kind_chardev:
        if (type != S_IFCHR) r.fail_at("FILE objref {}: a character device with mode {:o}", objref, rec.mode);
        break;
    case img::file_kind_fifo:
        if (type != S_IFIFO) r.fail_at("FILE objref {}: a named FIFO with mode {:o}", objref, rec.mode);
        break;
    case img::file_kind_pipe_end: {
        auto& pipe = ctx.objs.fetch<PipeEnds>(rec.pipe_objref, objhash::kind::pipe);
        if (pipe.fifo) r.fail_at("FILE objref {}: pipe objref {} belongs to a named FIFO", objref, rec.pipe_objref);
        pipe.used_as_pipe = true;
        uint32_t acc = rec.flags & O_ACCMODE;
        OpenDescription d;
        d.flags = rec.flags;
        d.fd = reopen(acc == O_RDONLY ? pipe.rd.get() : pipe.wr.get(), rec.flags & (O_ACCMODE | O_NONBLOCK | O_DIRECT | FASYNC),
                      fmt::format("pipe objref {}", rec.pipe_objref));
        ctx.objs.install(objref, objhash::kind::file, std::move(d));
        return;
    }
    default: r.fail_at("FILE objref {}: unknown file kind {}", objref, rec.kind);
    }
    if (rec.pipe_objref != 0 && rec.kind != img::file_kind_fifo && rec.kind != img::file_kind_deleted_alias)
        r.fail_at("FILE objref {}: only a pipe end or FIFO names a pipe", objref);
    if (rec.size != 0 && rec.kind != img::file_kind_deleted && rec.kind != img::file_kind_deleted_inode)
        r.fail_at("FILE objref {}: only deleted files carry contents", objref);
    ctx.objs.install(objref, objhash::kind::file, open_file(r, ctx, objref, rec));
}

void read_pipe_object(img::RecordReader& r, RestoreContext& ctx, uint64_t objref) {
    img::RecordHeader h{};
    auto rec = r.expect<img::RecordType::pipe>(&h);
    if (h.objref != objref) r.fail_at("PIPE record for objref {} follows the OBJREF of {}", h.objref, objref);
    if (rec.reserved != 0) r.fail_at("PIPE objref {}: reserved field is not zero", objref);
    if (rec.pipe_size < 4096 || rec.pipe_size > (1u << 30) || rec.data_len > rec.pipe_size)
        r.fail_at("PIPE objref {}: {} bytes in flight in a pipe of {} bytes", objref, rec.data_len, rec.pipe_size);
    int p[2];
    check(::pipe2(p, O_CLOEXEC | O_NONBLOCK), "pipe2");
    PipeEnds ends{UniqueFd(p[0]), UniqueFd(p[1]), rec.pipe_size, UniqueFd(), false};
    int cur = check(::fcntl(ends.wr.get(), F_GETPIPE_SZ), "F_GETPIPE_SZ");
    if (static_cast<uint32_t>(cur) != rec.pipe_size)
        check(::fcntl(ends.wr.get(), F_SETPIPE_SZ, static_cast<int>(rec.pipe_size)), "sizing pipe objref {} to {} bytes",
              objref, rec.pipe_size);
    read_contents(r, objref, rec.data_len, ends.wr.get(), fmt::format("pipe objref {}", objref));
    ctx.objs.install(objref, objhash::kind::pipe, std::move(ends));
}

// `got` already carries the wanted close-on-exec flag. Fds go in ascending
// order into a table emptied of everything else, so for a dense table the
// received fd is the lowest free number, which is the target itself.
void place(Injector& inj, int got, int target, bool cloexec) {
    if (got == target) return;
    inj.checked(fmt::format("dup3 to fd {}", target), SYS_dup3, static_cast<uint64_t>(got), static_cast<uint64_t>(target),
                cloexec ? O_CLOEXEC : 0);
    inj.checked("close", SYS_close, static_cast<uint64_t>(got));
}

std::vector<int> open_fd_numbers(pid_t pid) {
    std::vector<int> out;
    for (const OpenFd& fd : scan_fds(pid)) out.push_back(fd.fd);
    return out;
}

}  // namespace

void read_object(img::RecordReader& r, RestoreContext& ctx, const img::RecordHeader& h) {
    if (h.type != static_cast<uint32_t>(img::RecordType::objref)) r.fail_at("expected an OBJREF, found {}", img::record_type_name(h.type));
    auto obj = r.read_fixed<img::RecordType::objref>();
    if (obj.reserved != 0) r.fail_at("OBJREF {}: reserved field is not zero", h.objref);
    if (obj.kind == objhash::kind::file) read_file_object(r, ctx, h.objref);
    else if (obj.kind == objhash::kind::pipe) read_pipe_object(r, ctx, h.objref);
    else r.fail_at("OBJREF {} of kind {} in a files section", h.objref, objhash::kind_name(obj.kind));
}

int description_fd(RestoreContext& ctx, uint64_t objref) {
    return ctx.objs.fetch<OpenDescription>(objref, objhash::kind::file).fd.get();
}

FdTable read_fds(img::RecordReader& r, RestoreContext& ctx) {
    for (;;) {
        auto h = r.next();
        if (!h) r.fail_at("the image ended inside a files section (no FD_TABLE)");
        switch (static_cast<img::RecordType>(h->type)) {
        case img::RecordType::objref: read_object(r, ctx, *h); break;
        case img::RecordType::file_owner: {
            auto o = r.read_fixed<img::RecordType::file_owner>();
            auto& d = ctx.objs.fetch<OpenDescription>(h->objref, objhash::kind::file);
            if (o.reserved != 0) r.fail_at("FILE_OWNER objref {}: reserved field is not zero", h->objref);
            if (d.has_owner) r.fail_at("FILE_OWNER objref {}: a second owner for one description", h->objref);
            if (o.owner_type != F_OWNER_TID && o.owner_type != F_OWNER_PID && o.owner_type != F_OWNER_PGRP)
                r.fail_at("FILE_OWNER objref {}: unknown owner type {}", h->objref, o.owner_type);
            if (o.pid < 0 || o.pid >= (1 << 22)) r.fail_at("FILE_OWNER objref {}: owner pid {} out of range", h->objref, o.pid);
            if (o.signum < 0 || o.signum > 64) r.fail_at("FILE_OWNER objref {}: signal {} out of range", h->objref, o.signum);
            if (o.pid == 0 && o.signum == 0) r.fail_at("FILE_OWNER objref {}: neither an owner nor a signal", h->objref);
            if (d.flags & O_PATH) r.fail_at("FILE_OWNER objref {}: an O_PATH description has no owner", h->objref);
            d.has_owner = true;
            d.owner_type = o.owner_type;
            d.owner_pid = o.pid;
            d.owner_signum = o.signum;
            break;
        }
        case img::RecordType::fd_table: {
            if (h->objref != 0) r.fail_at("FD_TABLE with objref {}", h->objref);
            auto t = r.read_fixed<img::RecordType::fd_table>();
            if (t.reserved != 0) r.fail_at("FD_TABLE: reserved field is not zero");
            if (t.nr_fds > max_restored_fd) r.fail_at("FD_TABLE lists {} fds", t.nr_fds);
            FdTable table;
            std::set<int> seen;
            for (uint32_t i = 0; i < t.nr_fds; ++i) {
                img::RecordHeader fh{};
                auto rec = r.expect<img::RecordType::fd>(&fh);
                if (fh.objref != 0) r.fail_at("FD record with objref {}", fh.objref);
                if (rec.fd < 0 || static_cast<uint32_t>(rec.fd) >= max_restored_fd) r.fail_at("FD: fd number {} out of range", rec.fd);
                if (!seen.insert(rec.fd).second) r.fail_at("FD: fd {} listed twice", rec.fd);
                if (rec.fd_flags & ~static_cast<uint32_t>(FD_CLOEXEC)) r.fail_at("FD {}: unknown fd flags {:#x}", rec.fd, rec.fd_flags);
                FdEntry e;
                e.fd = rec.fd;
                e.cloexec = rec.fd_flags & FD_CLOEXEC;
                e.kind = rec.kind;
                if (rec.kind == img::fd_kind_inherited) {
                    if (rec.inherited_from > 2 || rec.file_objref != 0)
                        r.fail_at("FD {}: inherited from caller fd {} (only stdio 0-2 is inherited)", rec.fd, rec.inherited_from);
                    e.inherited_from = rec.inherited_from;
                } else if (rec.kind == img::fd_kind_file) {
                    if (rec.inherited_from != 0) r.fail_at("FD {}: a file fd names an inherited stdio", rec.fd);
                    auto& d = ctx.objs.fetch<OpenDescription>(rec.file_objref, objhash::kind::file);
                    e.file_objref = rec.file_objref;
                    e.controlling_tty = d.controlling_tty;
                    e.proc_path = d.proc_path;
                    e.pos = d.pos;
                    e.flags = d.flags;
                    e.ops = d.ops;
                    e.async = (d.flags & FASYNC) && !(d.flags & O_PATH);
                    e.has_owner = d.has_owner;
                    e.owner_type = d.owner_type;
                    e.owner_pid = d.owner_pid;
                    e.owner_signum = d.owner_signum;
                } else {
                    r.fail_at("FD {}: unknown fd kind {}", rec.fd, rec.kind);
                }
                table.fds.push_back(e);
            }
            std::sort(table.fds.begin(), table.fds.end(), [](const FdEntry& a, const FdEntry& b) { return a.fd < b.fd; });
            return table;
        }
        default:
            r.fail_at("unexpected {} record in a files section", img::record_type_name(h->type));
        }
    }
}

void restore_fds(pid_t pid, Injector& inj, RestoreContext& ctx, const FdTable& table) {
    int max_target = 2;
    std::set<int> targets;
    for (const auto& e : table.fds) {
        targets.insert(e.fd);
        max_target = std::max(max_target, e.fd);
    }
    RemoteScratch scratch(inj, 4096);
    FdChannel channel(pid, inj, scratch, max_target + 1);
    // The fresh task's own fds (a placeholder's stdio) go unless the image has that number.
    for (int fd : open_fd_numbers(pid))
        if (fd != channel.task_fd() && !targets.count(fd)) inj.checked("close", SYS_close, static_cast<uint64_t>(fd));

    for (const auto& e : table.fds) {
        int got;
        if (e.controlling_tty) {
            uint64_t path = scratch.put_string(0, "/dev/tty");
            got = static_cast<int>(inj.checked(fmt::format("open of /dev/tty for fd {} (the task's controlling terminal)", e.fd), SYS_openat,
                                               static_cast<uint64_t>(AT_FDCWD), path,
                                               (e.flags & (O_ACCMODE | O_NONBLOCK | O_APPEND)) | (e.cloexec ? O_CLOEXEC : 0)));
        } else if (!e.proc_path.empty()) {
            uint64_t path = scratch.put_string(0, e.proc_path);
            got = static_cast<int>(inj.checked(fmt::format("open of {} for fd {} (a procfs file, opened by the task)", e.proc_path, e.fd),
                                               SYS_openat, static_cast<uint64_t>(AT_FDCWD), path,
                                               (e.flags & (O_ACCMODE | O_NONBLOCK | O_APPEND)) | O_NOCTTY | (e.cloexec ? O_CLOEXEC : 0)));
            if (e.pos != 0)
                inj.checked(fmt::format("seek of {} (fd {}) to offset {}", e.proc_path, e.fd, e.pos), SYS_lseek,
                            static_cast<uint64_t>(got), e.pos, static_cast<uint64_t>(SEEK_SET));
        } else if (e.kind == image::fd_kind_inherited) {
            got = channel.send(ctx.caller_stdio.at(e.inherited_from), e.cloexec);
        } else {
            got = channel.send(ctx.objs.fetch<OpenDescription>(e.file_objref, objhash::kind::file).fd.get(), e.cloexec);
        }
        place(inj, got, e.fd, e.cloexec);
    }
    channel.close();
    scratch.release();
    for (const auto& e : table.fds)
        if (e.ops) e.ops->after_install(pid, inj, ctx, e);
}

void restore_fd_owners(pid_t pid, Injector& inj, const FdTable& table) {
    bool any = false;
    for (const auto& e : table.fds) any = any || e.has_owner || e.async;
    if (!any) return;
    RemoteScratch scratch(inj, 4096);
    std::set<uint64_t> done;  // one setter per description in this task
    for (const auto& e : table.fds) {
        if (!(e.has_owner || e.async) || !done.insert(e.file_objref).second) continue;
        if (e.async) {
            // Off, then on: the kernel registers the file for SIGIO only on a change.
            uint64_t fl = static_cast<uint64_t>(inj.checked(fmt::format("F_GETFL on fd {} of pid {}", e.fd, pid), SYS_fcntl,
                                                            static_cast<uint64_t>(e.fd), F_GETFL));
            inj.checked(fmt::format("F_SETFL on fd {} of pid {}", e.fd, pid), SYS_fcntl, static_cast<uint64_t>(e.fd), F_SETFL,
                        fl & ~static_cast<uint64_t>(FASYNC));
            inj.checked(fmt::format("F_SETFL O_ASYNC on fd {} of pid {}", e.fd, pid), SYS_fcntl, static_cast<uint64_t>(e.fd),
                        F_SETFL, fl | FASYNC);
        }
        if (!e.has_owner) continue;
        if (e.owner_signum != 0)
            inj.checked(fmt::format("F_SETSIG {} on fd {} of pid {}", e.owner_signum, e.fd, pid), SYS_fcntl,
                        static_cast<uint64_t>(e.fd), F_SETSIG, static_cast<uint64_t>(e.owner_signum));
        if (e.owner_pid != 0) {
            f_owner_ex owner{static_cast<__pid_type>(e.owner_type), e.owner_pid};
            uint64_t at = scratch.put(0, owner);
            inj.checked(fmt::format("F_SETOWN_EX {} {} on fd {} of pid {}",
                                    e.owner_type == F_OWNER_PGRP ? "process group" : e.owner_type == F_OWNER_TID ? "thread" : "pid",
                                    e.owner_pid, e.fd, pid),
                        SYS_fcntl, static_cast<uint64_t>(e.fd), F_SETOWN_EX, at);
        }
    }
    scratch.release();
}

}  // namespace myrt::cr::files
