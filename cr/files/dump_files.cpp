// Checkpoint side: /proc describes every fd; shared objects go into the image
// once, keyed in the objhash by kernel identity.
#include "cr/files/fd_scan.hpp"
#include "cr/files/fdinfo.hpp"
#include "cr/files/files.hpp"
#include "cr/files/path_in_root.hpp"
#include "cr/objhash/leak_process.hpp"
#include "util/error.hpp"

#include <fcntl.h>
#include <linux/kcmp.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <vector>

namespace myrt::cr::files {

namespace {

namespace img = myrt::cr::image;

// Contents of a deleted file go out in BUFFER records of this size.
constexpr size_t content_chunk = 1u << 20;

using Seen = DumpContext::SeenDescription;

// kcmp orders descriptions (by their obfuscated kernel address): binary
// search. Returns whether fd's description is there, and where it is or goes.
std::pair<bool, size_t> locate(const std::vector<Seen>& seen, pid_t pid, int fd) {
    size_t lo = 0, hi = seen.size();
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int rc = objhash::kcmp_compare(pid, seen[mid].pid, KCMP_FILE, static_cast<unsigned long>(fd),
                                       static_cast<unsigned long>(seen[mid].fd));
        if (rc < 0) throw_errno("kcmp of fd {} of pid {} with fd {} of pid {}", fd, pid, seen[mid].fd, seen[mid].pid);
        if (rc == 0) return {true, mid};
        if (rc == 1) hi = mid;
        else if (rc == 2) lo = mid + 1;
        else fail("kcmp gave no order for fd {} of pid {} and fd {} of pid {}", fd, pid, seen[mid].fd, seen[mid].pid);
    }
    return {false, lo};
}

void insert_seen(std::vector<Seen>& seen, const Seen& d) {
    auto [found, at] = locate(seen, d.pid, d.fd);
    if (!found) seen.insert(seen.begin() + static_cast<std::ptrdiff_t>(at), d);
}

bool is_inherited(pid_t pid, const OpenFd& fd, const DumpContext& ctx, const std::vector<int>& task_mounts) {
    if (fd.fd > 2) return false;
    if (ctx.inherited_stdio) return ctx.inherited_stdio(pid, fd.fd);
    if (fd.kind == FdKind::pipe || fd.link.starts_with("socket:["))
        return std::find(ctx.outside_inodes.begin(), ctx.outside_inodes.end(), fd.st.st_ino) != ctx.outside_inodes.end();
    if (fd.kind == FdKind::unsupported || fd.kind == FdKind::extension) return false;  // an eventfd at fd 1 is the container's own
    return fd.mnt_id >= 0 && std::find(task_mounts.begin(), task_mounts.end(), fd.mnt_id) == task_mounts.end();
}

// Kernel flags the image keeps; O_CLOEXEC is per fd, not per description.
uint32_t description_flags(const OpenFd& fd) {
    uint32_t flags = fd.flags & ~static_cast<uint32_t>(O_CLOEXEC);
    if (fd.kind == FdKind::deleted) flags &= ~static_cast<uint32_t>(__O_TMPFILE | O_DIRECTORY);
    return flags;
}

// The file's path below the root, checked to lead back to the open file: a
// path that names another file (renamed over, another mount on top) would
// restore the wrong one silently.
std::string checked_path(pid_t pid, const OpenFd& fd, int root_fd, const std::string& prefix) {
    std::string path = path_below(fd.link, prefix);
    UniqueFd probe = open_in_root(root_fd, path, O_PATH | O_NOFOLLOW);
    struct stat st {};
    if (!probe || ::fstat(probe.get(), &st) < 0 || st.st_dev != fd.st.st_dev || st.st_ino != fd.st.st_ino)
        fail("fd {} of pid {} ({}): the path {} inside the container root does not lead to the open file", fd.fd, pid,
             fd.link, path);
    return path;
}

// A deleted inode's data extents (SEEK_DATA/SEEK_HOLE), so a sparse file
// keeps its holes; a file system without them reports one extent of all.
std::vector<img::FileExtentRecord> data_extents(int fd, uint64_t size, std::string_view what) {
    std::vector<img::FileExtentRecord> out;
    off_t at = 0;
    while (static_cast<uint64_t>(at) < size) {
        off_t data = ::lseek(fd, at, SEEK_DATA);
        if (data < 0 && errno == ENXIO) break;  // only a hole up to the end
        if (data < 0) throw_errno("SEEK_DATA in {}", what);
        off_t hole = ::lseek(fd, data, SEEK_HOLE);
        if (hole < 0) throw_errno("SEEK_HOLE in {}", what);
        uint64_t end = std::min<uint64_t>(static_cast<uint64_t>(hole), size);
        if (end > static_cast<uint64_t>(data)) out.push_back({static_cast<uint64_t>(data), end - static_cast<uint64_t>(data)});
        at = hole;
    }
    return out;
}

// A deleted file or directory: owner, times and, for a file, its data
// extents. Read from a fresh read-only description of the same inode, so the
// task's own offset stays untouched and a write-only fd can still be read.
void write_deleted_inode(pid_t pid, const OpenFd& fd, uint64_t objref, img::RecordWriter& w) {
    img::DeletedFileRecord rec{};
    rec.uid = fd.st.st_uid;
    rec.gid = fd.st.st_gid;
    rec.atime_sec = fd.st.st_atim.tv_sec;
    rec.atime_nsec = fd.st.st_atim.tv_nsec;
    rec.mtime_sec = fd.st.st_mtim.tv_sec;
    rec.mtime_nsec = fd.st.st_mtim.tv_nsec;
    if (fd.kind == FdKind::deleted_dir) {
        w.write<img::RecordType::deleted_file>(rec, objref);
        return;
    }
    std::string what = fmt::format("deleted file {} (fd {} of pid {})", fd.link, fd.fd, pid);
    std::string proc_path = fmt::format("/proc/{}/fd/{}", pid, fd.fd);
    UniqueFd in(::open(proc_path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOATIME));
    if (!in && errno == EPERM) in.reset(::open(proc_path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
    if (!in) throw_errno("reopening {}", what);
    const uint64_t size = static_cast<uint64_t>(fd.st.st_size);
    auto extents = data_extents(in.get(), size, what);
    rec.nr_extents = static_cast<uint32_t>(extents.size());
    w.write<img::RecordType::deleted_file>(rec, objref);
    std::vector<std::byte> buf(content_chunk);
    for (const auto& e : extents) {
        w.write<img::RecordType::file_extent>(e, objref);
        uint64_t done = 0;
        while (done < e.length) {
            size_t want = static_cast<size_t>(std::min<uint64_t>(buf.size(), e.length - done));
            ssize_t n = ::pread(in.get(), buf.data(), want, static_cast<off_t>(e.offset + done));
            if (n < 0) throw_errno("reading {}", what);
            if (n == 0) fail("{} shrank while it was read", what);
            w.write_buffer(std::span(buf.data(), static_cast<size_t>(n)), objref);
            done += static_cast<uint64_t>(n);
        }
    }
}

// Pending pipe data without consuming it: tee() from a read end of the same
// pipe into a scratch pipe of the same capacity duplicates the buffers.
std::vector<std::byte> peek_pipe(pid_t pid, const OpenFd& fd, uint32_t& pipe_size) {
    std::string proc_path = fmt::format("/proc/{}/fd/{}", pid, fd.fd);
    UniqueFd rd(::open(proc_path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
    if (!rd) throw_errno("opening a read end of {} (fd {} of pid {})", fd.link, fd.fd, pid);
    int size = check(::fcntl(rd.get(), F_GETPIPE_SZ), "F_GETPIPE_SZ on {} of pid {}", fd.link, pid);
    int pending = 0;
    check(::ioctl(rd.get(), FIONREAD, &pending), "FIONREAD on {} of pid {}", fd.link, pid);
    pipe_size = static_cast<uint32_t>(size);
    std::vector<std::byte> data(static_cast<size_t>(pending));
    if (pending == 0) return data;
    int p[2];
    check(::pipe2(p, O_CLOEXEC | O_NONBLOCK), "pipe2");
    UniqueFd scratch_rd(p[0]), scratch_wr(p[1]);
    check(::fcntl(scratch_wr.get(), F_SETPIPE_SZ, size), "sizing a scratch pipe to {} bytes", size);
    ssize_t n = ::tee(rd.get(), scratch_wr.get(), static_cast<size_t>(pending), SPLICE_F_NONBLOCK);
    if (n < 0) throw_errno("tee of {} (fd {} of pid {})", fd.link, fd.fd, pid);
    if (n != pending) fail("tee of {} (fd {} of pid {}) copied {} of {} pending bytes", fd.link, fd.fd, pid, n, pending);
    size_t got = 0;
    while (got < data.size()) {
        ssize_t r = ::read(scratch_rd.get(), data.data() + got, data.size() - got);
        if (r <= 0) throw_errno("reading the copy of {}'s data", fd.link);
        got += static_cast<size_t>(r);
    }
    return data;
}

void write_pipe_object(pid_t pid, const OpenFd& fd, uint64_t objref, img::RecordWriter& w) {
    img::PipeRecord rec{};
    auto data = peek_pipe(pid, fd, rec.pipe_size);
    rec.data_len = data.size();
    w.write_objref(objref, objhash::kind::pipe);
    w.write<img::RecordType::pipe>(rec, objref);
    for (size_t off = 0; off < data.size(); off += content_chunk)
        w.write_buffer(std::span(data).subspan(off, std::min(content_chunk, data.size() - off)), objref);
}

// A named FIFO's data, once per inode.
uint64_t dump_fifo_data(pid_t pid, const OpenFd& fd, DumpContext& ctx, img::RecordWriter& w) {
    for (const auto& f : ctx.fifos)
        if (f.dev == fd.st.st_dev && f.ino == fd.st.st_ino) return f.objref;
    uint64_t objref = ctx.objs.reserve();
    ctx.fifos.push_back({static_cast<uint64_t>(fd.st.st_dev), static_cast<uint64_t>(fd.st.st_ino), objref});
    write_pipe_object(pid, fd, objref, w);
    return objref;
}

uint64_t dump_pipe(pid_t pid, const OpenFd& fd, DumpContext& ctx, img::RecordWriter& w) {
    objhash::ObjectKey key{objhash::kind::pipe, fd.st.st_dev, fd.st.st_ino, 0};
    objhash::Object& pipe = ctx.objs.lookup_or_add(key, fd.link).object;
    if (!pipe.dumped) {
        write_pipe_object(pid, fd, pipe.objref, w);
        ctx.objs.mark_dumped(pipe.objref);
    }
    ctx.objs.mark_visited(pipe.objref);

    auto& seen = ctx.descriptions[{fd.st.st_dev, fd.st.st_ino}];
    auto [found, at] = locate(seen, pid, fd.fd);
    if (found) return seen[at].objref;
    // Pipe ends are filed under the pipe by the collect pass, so their
    // descriptions get an objref without an objhash key.
    uint64_t objref = ctx.objs.reserve();
    seen.insert(seen.begin() + static_cast<std::ptrdiff_t>(at), Seen{pid, fd.fd, objref});
    img::FileRecord rec{};
    rec.kind = img::file_kind_pipe_end;
    rec.flags = description_flags(fd);
    rec.pipe_objref = pipe.objref;
    rec.mode = fd.st.st_mode;
    w.write_objref(objref, objhash::kind::file);
    w.write<img::RecordType::file>(rec, objref);
    return objref;
}

uint64_t dump_file(pid_t pid, const OpenFd& fd, DumpContext& ctx, int root_fd, const std::string& prefix,
                   img::RecordWriter& w) {
    // The same key scheme as the collect pass (objhash/leak_kind_file.cpp):
    // a new description of an inode is its next instance. The first time an
    // inode comes up, the collect pass's instances seed the ordered index.
    std::pair<uint64_t, uint64_t> inode{fd.st.st_dev, fd.st.st_ino};
    auto slot = ctx.descriptions.find(inode);
    if (slot == ctx.descriptions.end()) {
        slot = ctx.descriptions.emplace(inode, std::vector<Seen>{}).first;
        for (objhash::Object* c : ctx.objs.instances(objhash::kind::file, fd.st.st_dev, fd.st.st_ino))
            if (c->first_holder.pid > 0) insert_seen(slot->second, Seen{c->first_holder.pid, c->first_holder.fd, c->objref});
    }
    auto& seen = slot->second;
    auto [found, at] = locate(seen, pid, fd.fd);
    objhash::Object* existing = found ? ctx.objs.find(seen[at].objref) : nullptr;
    if (found && !existing) fail("fd {} of pid {}: objref {} vanished from the objhash", fd.fd, pid, seen[at].objref);
    objhash::ObjectKey key = existing ? existing->key
                                      : objhash::ObjectKey{objhash::kind::file, fd.st.st_dev, fd.st.st_ino,
                                                           ctx.objs.instances(objhash::kind::file, fd.st.st_dev, fd.st.st_ino).size()};
    objhash::Object& obj = ctx.objs.lookup_or_add(key, fd.link).object;
    if (obj.first_holder.pid <= 0) obj.first_holder = objhash::Holder{pid, fd.fd, fmt::format("fd {}", fd.fd)};
    if (!found) seen.insert(seen.begin() + static_cast<std::ptrdiff_t>(at), Seen{pid, fd.fd, obj.objref});
    if (!obj.dumped) {
        // A FIFO's data goes first: its FILE record names it.
        uint64_t fifo_data = fd.kind == FdKind::fifo ? dump_fifo_data(pid, fd, ctx, w) : 0;
        img::FileRecord rec{};
        rec.flags = description_flags(fd);
        rec.pos = fd.pos;
        rec.mode = fd.st.st_mode;
        std::string path;
        switch (fd.kind) {
        case FdKind::regular: rec.kind = img::file_kind_regular; break;
        case FdKind::directory: rec.kind = img::file_kind_directory; break;
        case FdKind::chardev: rec.kind = img::file_kind_chardev; rec.rdev = fd.st.st_rdev; break;
        case FdKind::deleted:
        case FdKind::deleted_dir: {
            // Several descriptions of one deleted inode share it again: the
            // first carries the inode, the others name that description.
            auto [it, first] = ctx.deleted_inodes.emplace(inode, obj.objref);
            rec.kind = first ? img::file_kind_deleted_inode : img::file_kind_deleted_alias;
            if (first && fd.kind == FdKind::deleted) rec.size = static_cast<uint64_t>(fd.st.st_size);
            if (!first) rec.pipe_objref = it->second;
            break;
        }
        case FdKind::symlink: rec.kind = img::file_kind_symlink; rec.pos = 0; break;
        case FdKind::fifo: rec.kind = img::file_kind_fifo; rec.pipe_objref = fifo_data; rec.pos = 0; break;
        case FdKind::extension: rec.kind = fd.ops->file_kind(); rec.pos = 0; break;
        default: fail("fd {} of pid {}: internal error, {} is not a file", fd.fd, pid, fd.link);
        }
        if (fd.kind == FdKind::extension) {
            // No path: the kind's own records say how to recreate it.
            w.write_objref(obj.objref, objhash::kind::file);
            w.write<img::RecordType::file>(rec, obj.objref);
            fd.ops->dump(pid, fd, obj.objref, ctx, w);
            ctx.objs.mark_dumped(obj.objref);
            ctx.objs.mark_visited(obj.objref);
            return obj.objref;
        }
        if (fd.kind == FdKind::deleted || fd.kind == FdKind::deleted_dir) {
            path = path_below(fd.link, prefix);
            if (path.ends_with(" (deleted)")) path.resize(path.size() - 10);
        } else {
            path = checked_path(pid, fd, root_fd, prefix);
        }
        if (path.size() >= img::max_string_len) fail("fd {} of pid {}: path {} is too long for the image", fd.fd, pid, path);
        w.write_objref(obj.objref, objhash::kind::file);
        w.write<img::RecordType::file>(rec, obj.objref);
        w.write_string(path, obj.objref);
        if (rec.kind == img::file_kind_deleted_inode) write_deleted_inode(pid, fd, obj.objref, w);
        ctx.objs.mark_dumped(obj.objref);
    }
    ctx.objs.mark_visited(obj.objref);
    return obj.objref;
}

// A pid of the checkpointer's namespace as the container's tasks see it
// (the last NSpid entry); 0 when it is not a task of the container's pid
// namespace level.
pid_t pid_in_container(pid_t host_pid, pid_t init_pid) {
    auto nspids = [](pid_t p) {
        std::vector<pid_t> out;
        std::ifstream in(fmt::format("/proc/{}/status", p));
        std::string line;
        while (std::getline(in, line))
            if (line.starts_with("NSpid:")) {
                std::istringstream fields(line.substr(6));
                for (pid_t v; fields >> v;) out.push_back(v);
            }
        return out;
    };
    auto mine = nspids(host_pid);
    if (mine.empty() || init_pid <= 0) return 0;
    auto init = nspids(init_pid);
    if (init.empty() || mine.size() != init.size()) return 0;
    return mine.back();
}

// F_SETOWN/F_SETOWN_EX and F_SETSIG of a description, read from a copy of
// it (the owner lives in the open file description). Written when set, after
// the description's own records.
void dump_owner(pid_t pid, const OpenFd& fd, uint64_t objref, DumpContext& ctx, img::RecordWriter& w) {
    if (fd.flags & O_PATH) return;  // fcntl refuses O_PATH fds: they have no owner
    UniqueFd copy = task_fd_copy(pid, fd.fd, "owner");
    f_owner_ex owner{};
    if (::fcntl(copy.get(), F_GETOWN_EX, &owner) < 0) {
        if (errno == EINVAL || errno == EBADF) return;  // a file without owner support
        throw_errno("F_GETOWN_EX on fd {} of pid {} ({})", fd.fd, pid, fd.link);
    }
    int sig = check(::fcntl(copy.get(), F_GETSIG), "F_GETSIG on fd {} of pid {} ({})", fd.fd, pid, fd.link);
    if (owner.pid == 0 && sig == 0) return;
    img::FileOwnerRecord rec{};
    rec.owner_type = owner.type;
    rec.signum = sig;
    if (owner.pid != 0) {
        rec.pid = pid_in_container(owner.pid, ctx.init_pid ? ctx.init_pid : pid);
        if (rec.pid == 0)
            fail("fd {} of pid {} ({}): its owner (F_SETOWN{}) is {} {}, which is not a process of the container",
                 fd.fd, pid, fd.link, owner.type == F_OWNER_TID ? "_EX thread" : "", owner.type == F_OWNER_PGRP ? "process group" : "pid",
                 owner.pid);
    }
    w.write<img::RecordType::file_owner>(rec, objref);
}

// An inherited fd is the caller's, not the container's: the objects the
// collect pass filed for it are accounted for without going into the image.
void mark_inherited_visited(const OpenFd& fd, DumpContext& ctx) {
    uint32_t kind = fd.kind == FdKind::pipe ? objhash::kind::pipe : objhash::kind::file;
    for (objhash::Object* obj : ctx.objs.instances(kind, fd.st.st_dev, fd.st.st_ino)) ctx.objs.mark_visited(obj->objref);
}

}  // namespace

void check_fds(pid_t pid, DumpContext& ctx) {
    auto fds = scan_fds(pid);
    std::vector<int> mounts;
    if (!ctx.inherited_stdio) mounts = mount_ids(pid);
    for (const OpenFd& fd : fds) {
        if (fd.kind == FdKind::unsupported && !is_inherited(pid, fd, ctx, mounts)) fail("{}", unsupported_message(pid, fd));
        if (fd.kind == FdKind::extension && !is_inherited(pid, fd, ctx, mounts)) fd.ops->check(pid, fd, ctx);
    }
}

void check_fd_tables_unshared(std::span<const pid_t> pids) {
    for (size_t i = 0; i < pids.size(); ++i)
        for (size_t j = i + 1; j < pids.size(); ++j) {
            int rc = objhash::kcmp_compare(pids[i], pids[j], KCMP_FILES, 0, 0);
            if (rc < 0) throw_errno("kcmp KCMP_FILES of pids {} and {}", pids[i], pids[j]);
            if (rc == 0)
                fail("pids {} and {} share one fd table (clone with CLONE_FILES): restoring a shared fd table is not supported",
                     pids[i], pids[j]);
        }
}

void check_in_flight(int fd, const std::string& where, DumpContext& ctx) {
    OpenFd o = scan_fd(::getpid(), fd);
    switch (o.kind) {
    case FdKind::regular:
    case FdKind::directory:
    case FdKind::deleted:
    case FdKind::pipe:
    case FdKind::fifo: return;
    case FdKind::chardev:
        if (!is_controlling_tty(o.st.st_rdev)) return;
        fail("{}: /dev/tty in flight: only a task can open its controlling terminal, not supported", where);
    case FdKind::extension:
        if (o.ops->name() == "eventfd") {
            o.ops->check(::getpid(), o, ctx);
            return;
        }
        fail("{}: a {} ({}) in flight: only files, pipes, FIFOs, eventfds and unix sockets can be checkpointed in flight", where,
             o.ops->name(), o.link);
    default:
        fail("{}: a {} ({}) in flight: checkpoint of this kind of file is not supported", where, o.what, o.link);
    }
}

uint64_t dump_in_flight(int fd, DumpContext& ctx, img::RecordWriter& w) {
    const pid_t self = ::getpid();
    OpenFd o = scan_fd(self, fd);
    if (o.kind == FdKind::pipe) return dump_pipe(self, o, ctx, w);
    UniqueFd root_fd(::open(ctx.root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root_fd) throw_errno("open the container root {}", ctx.root);
    return dump_file(self, o, ctx, root_fd.get(), root_prefix(ctx.root), w);
}

void dump_fds(pid_t pid, DumpContext& ctx, img::RecordWriter& w) {
    auto fds = scan_fds(pid);
    std::vector<int> mounts;
    if (!ctx.inherited_stdio) mounts = mount_ids(pid);
    std::vector<bool> inherited(fds.size());
    for (size_t i = 0; i < fds.size(); ++i) {
        inherited[i] = is_inherited(pid, fds[i], ctx, mounts);
        if (fds[i].kind == FdKind::unsupported && !inherited[i]) fail("{}", unsupported_message(pid, fds[i]));
    }
    UniqueFd root_fd(::open(ctx.root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root_fd) throw_errno("open the container root {}", ctx.root);
    std::string prefix = root_prefix(ctx.root);

    std::vector<img::FdRecord> table;
    for (size_t i = 0; i < fds.size(); ++i) {
        const OpenFd& fd = fds[i];
        img::FdRecord rec{};
        rec.fd = fd.fd;
        rec.fd_flags = (fd.flags & O_CLOEXEC) ? FD_CLOEXEC : 0;
        if (inherited[i]) {
            rec.kind = img::fd_kind_inherited;
            rec.inherited_from = static_cast<uint32_t>(fd.fd);
            mark_inherited_visited(fd, ctx);
        } else {
            rec.kind = img::fd_kind_file;
            rec.file_objref = fd.kind == FdKind::pipe ? dump_pipe(pid, fd, ctx, w)
                                                      : dump_file(pid, fd, ctx, root_fd.get(), prefix, w);
            if (ctx.owners_seen.insert(rec.file_objref).second) dump_owner(pid, fd, rec.file_objref, ctx, w);
        }
        table.push_back(rec);
    }
    w.write<img::RecordType::fd_table>(img::FdTableRecord{static_cast<uint32_t>(table.size()), 0});
    for (const auto& rec : table) w.write<img::RecordType::fd>(rec);
}

}  // namespace myrt::cr::files
