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
    UniqueFd out(::open(self.c_str(), static_cast<int>(flags & ~static_cast<uint32_t>(O_DIRECTORY | O_NOFOLLOW)) | O_CLOEXEC | O_NOCTTY));
    if (!out) throw_errno("reopening {} with flags {:o}", what, flags);
    // open() ignores O_ASYNC; only fcntl sets it (the owner is not restored: docs/cr-files.md).
    if ((flags & FASYNC) && !(flags & O_PATH))
        check(::fcntl(out.get(), F_SETFL, static_cast<int>(flags & (O_APPEND | FASYNC | O_DIRECT | O_NOATIME | O_NONBLOCK))),
              "F_SETFL O_ASYNC on {}", what);
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

// A deleted file comes back as an O_TMPFILE in its old directory (or the
// root when that is gone too): unlinked from the start, so nothing is left
// behind if the restore fails.
// The file is created, moded and reopened with the task's credentials: it is
// the task's own file, and a mode the task could not set (setgid on a group it
// is not in, which the kernel drops silently) is refused by name.
UniqueFd recreate_deleted(img::RecordReader& r, RestoreContext& ctx, uint64_t objref, const img::FileRecord& rec,
                          const std::string& path) {
    UniqueFd root = root_dir(ctx);
    std::string dir = path.substr(0, path.rfind('/') == std::string::npos ? 0 : path.rfind('/'));
    const mode_t mode = rec.mode & 07777;
    UniqueFd tmp;
    ctx.run_as_task([&] {
        UniqueFd dir_fd = open_in_root(root.get(), dir, O_PATH | O_DIRECTORY);
        if (!dir_fd) dir_fd = open_in_root(root.get(), "/", O_PATH | O_DIRECTORY);
        if (!dir_fd) throw_errno("open the container root {}", ctx.root);
        tmp.reset(::openat(dir_fd.get(), ".", O_TMPFILE | O_RDWR | O_CLOEXEC, mode));
        if (!tmp && errno == EOPNOTSUPP) tmp = create_and_unlink(dir_fd.get(), mode);
        if (!tmp) throw_errno("creating a temp file for deleted {} in {} of the container root", path, dir.empty() ? "/" : dir);
        ::fchmod(tmp.get(), mode);  // O_TMPFILE's mode went through the umask
        struct stat st {};
        check(::fstat(tmp.get(), &st), "fstat of the temp file for deleted {}", path);
        if ((st.st_mode & 07777) != mode)
            fail("deleted file {}: mode {:04o} in the image is not one its task can set (it got {:04o}: a setgid bit "
                 "needs the file's group or CAP_FSETID)",
                 path, mode, st.st_mode & 07777);
    });
    read_contents(r, objref, rec.size, tmp.get(), path);
    UniqueFd out;
    ctx.run_as_task([&] { out = reopen(tmp.get(), rec.flags, path); });
    if (!(rec.flags & O_PATH)) check_pos(out.get(), rec.pos, path);
    return out;
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
    return reopen(data.fifo.get(), rec.flags & (O_ACCMODE | O_NONBLOCK | O_DIRECT), path);
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
    if (rec.size != 0) r.fail_at("FILE objref {} ({}): only deleted files carry contents", objref, path);
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
        d.fd = std::move(probe);
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
        d.fd = reopen(acc == O_RDONLY ? pipe.rd.get() : pipe.wr.get(), rec.flags & (O_ACCMODE | O_NONBLOCK | O_DIRECT),
                      fmt::format("pipe objref {}", rec.pipe_objref));
        ctx.objs.install(objref, objhash::kind::file, std::move(d));
        return;
    }
    default: r.fail_at("FILE objref {}: unknown file kind {}", objref, rec.kind);
    }
    if (rec.pipe_objref != 0 && rec.kind != img::file_kind_fifo) r.fail_at("FILE objref {}: only a pipe end or FIFO names a pipe", objref);
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

}  // namespace myrt::cr::files
