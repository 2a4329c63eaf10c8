// inotify: every watch (watch descriptor, mask, and the watched inode's path
// inside the container root, found through the file handle fdinfo shows).
//
// Restore re-adds the watches in watch-descriptor order from the restorer, on
// the paths opened inside the container root; gaps in the numbering (watches
// removed before the checkpoint) are filled with throwaway watches so every
// watch keeps its number. Events queued at checkpoint time are not saved: a
// checkpoint with events pending is refused (docs/cr-files.md).
#include "cr/files/fdinfo.hpp"
#include "cr/files/files.hpp"
#include "cr/files/object_kinds.hpp"
#include "cr/files/path_in_root.hpp"
#include "util/error.hpp"

#include <fcntl.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <vector>

namespace myrt::cr::files {

namespace {

namespace img = myrt::cr::image;

constexpr uint32_t max_watches = 1u << 16;
// Flags inotify_add_watch takes but never stores (fdinfo does not show them).
constexpr uint32_t add_only_flags = IN_DONT_FOLLOW | IN_ONLYDIR | IN_MASK_ADD | IN_MASK_CREATE;
constexpr uint32_t known_mask = IN_ALL_EVENTS | IN_ONESHOT | IN_EXCL_UNLINK;

struct Watch {
    int wd = 0;
    uint32_t mask = 0;
    uint64_t ino = 0;
    unsigned sdev = 0;
    std::vector<unsigned char> handle;
    int handle_type = 0;
};

std::vector<Watch> watches(pid_t pid, int fd) {
    std::vector<Watch> out;
    for (const auto& line : fdinfo_lines(pid, fd)) {
        if (!line.starts_with("inotify ")) continue;
        Watch w;
        unsigned long ino = 0;
        unsigned mask = 0, ignored = 0, bytes = 0;
        int wd = 0, type = 0, used = 0;
        if (std::sscanf(line.c_str(), "inotify wd:%x ino:%lx sdev:%x mask:%x ignored_mask:%x fhandle-bytes:%x fhandle-type:%x f_handle:%n",
                        &wd, &ino, &w.sdev, &mask, &ignored, &bytes, &type, &used) != 7 || used == 0 || bytes > 128)
            fail("fd {} of pid {} (inotify): cannot parse the fdinfo line \"{}\"", fd, pid, line);
        std::string_view hex = std::string_view(line).substr(static_cast<size_t>(used));
        if (hex.size() < bytes * 2) fail("fd {} of pid {} (inotify): short file handle in \"{}\"", fd, pid, line);
        for (unsigned i = 0; i < bytes; ++i)
            w.handle.push_back(static_cast<unsigned char>(parse_number(hex.substr(i * 2, 2), 16, "inotify file handle")));
        w.wd = wd;
        w.mask = mask;
        w.ino = ino;
        w.handle_type = type;
        out.push_back(std::move(w));
    }
    std::sort(out.begin(), out.end(), [](const Watch& a, const Watch& b) { return a.wd < b.wd; });
    return out;
}

std::string unescape_mount_path(const std::string& s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\' && i + 3 < s.size()) {
            out.push_back(static_cast<char>(std::stoi(s.substr(i + 1, 3), nullptr, 8)));
            i += 3;
        } else {
            out.push_back(s[i]);
        }
    }
    return out;
}

// A mount point (inside the task's root) of the filesystem with kernel dev `sdev`.
std::string mount_point_of(pid_t pid, unsigned sdev) {
    unsigned want_major = sdev >> 20, want_minor = sdev & 0xfffff;
    std::ifstream in(fmt::format("/proc/{}/mountinfo", pid));
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream f(line);
        std::string id, parent, devs, root, point;
        if (!(f >> id >> parent >> devs >> root >> point)) continue;
        unsigned ma = 0, mi = 0;
        if (std::sscanf(devs.c_str(), "%u:%u", &ma, &mi) == 2 && ma == want_major && mi == want_minor)
            return unescape_mount_path(point);
    }
    return {};
}

// The watched inode's path inside the root, checked to lead back to it.
std::string watched_path(pid_t pid, int fd, const Watch& w, DumpContext& ctx) {
    std::string what = fmt::format("fd {} of pid {} (inotify watch {})", fd, pid, w.wd);
    UniqueFd root(::open(ctx.root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root) throw_errno("open the container root {}", ctx.root);
    std::string point = mount_point_of(pid, w.sdev);
    if (point.empty()) fail("{}: the watched inode {} is on device {:#x}, which no mount of the container shows", what, w.ino, w.sdev);
    // Not O_PATH: open_by_handle_at takes no O_PATH fd as its mount fd.
    UniqueFd mnt = open_in_root(root.get(), point, O_RDONLY | O_DIRECTORY);
    if (!mnt) throw_errno("{}: opening mount point {} in the container", what, point);
    std::vector<unsigned char> buf(sizeof(file_handle) + w.handle.size());
    auto* fh = reinterpret_cast<file_handle*>(buf.data());
    fh->handle_bytes = static_cast<unsigned>(w.handle.size());
    fh->handle_type = w.handle_type;
    std::copy(w.handle.begin(), w.handle.end(), buf.begin() + sizeof(file_handle));
    UniqueFd target(::open_by_handle_at(mnt.get(), fh, O_PATH | O_CLOEXEC));
    if (!target) throw_errno("{}: opening the watched inode {} by its file handle", what, w.ino);
    char link[4096];
    ssize_t n = ::readlink(fmt::format("/proc/self/fd/{}", target.get()).c_str(), link, sizeof link - 1);
    if (n < 0) throw_errno("{}: readlink of the watched inode", what);
    std::string path = path_below(std::string(link, static_cast<size_t>(n)), root_prefix(ctx.root));
    struct stat want {}, got {};
    ::myrt::check(::fstat(target.get(), &want), "fstat watched inode");
    UniqueFd probe = open_in_root(root.get(), path, O_PATH | O_NOFOLLOW);
    if (!probe || ::fstat(probe.get(), &got) < 0 || got.st_dev != want.st_dev || got.st_ino != want.st_ino)
        fail("{}: the watched inode {} has no path inside the container root (deleted, or {} leads elsewhere)", what, w.ino, path);
    if (path.size() >= img::max_string_len) fail("{}: path {} too long", what, path);
    return path;
}

class InotifyKind final : public FdKindOps {
public:
    std::string_view name() const override { return "inotify"; }
    uint32_t file_kind() const override { return img::file_kind_inotify; }
    bool claims(const OpenFd& fd) const override { return fd.what == "inotify"; }

    void check(pid_t pid, const OpenFd& fd, DumpContext&) const override {
        UniqueFd copy = task_fd_copy(pid, fd.fd, "inotify instance");
        int pending = 0;
        ::myrt::check(::ioctl(copy.get(), FIONREAD, &pending), "FIONREAD on inotify fd {} of pid {}", fd.fd, pid);
        if (pending > 0)
            fail("fd {} of pid {} is an inotify instance with {} bytes of events not yet read: queued inotify events "
                 "cannot be checkpointed (read them first, or retry)",
                 fd.fd, pid, pending);
    }

    void dump(pid_t pid, const OpenFd& fd, uint64_t objref, DumpContext& ctx, img::RecordWriter& w) const override {
        auto list = watches(pid, fd.fd);
        std::vector<std::string> paths;
        for (const auto& watch : list) paths.push_back(watched_path(pid, fd.fd, watch, ctx));
        w.write<img::RecordType::inotify>(img::InotifyRecord{static_cast<uint32_t>(list.size()), 0}, objref);
        for (size_t i = 0; i < list.size(); ++i) {
            w.write<img::RecordType::inotify_watch>(img::InotifyWatchRecord{list[i].mask, list[i].wd}, objref);
            w.write_string(paths[i], objref);
        }
    }

    UniqueFd restore(img::RecordReader& r, RestoreContext& ctx, uint64_t objref, const img::FileRecord& file) const override {
        img::RecordHeader h{};
        auto rec = r.expect<img::RecordType::inotify>(&h);
        if (h.objref != objref) r.fail_at("INOTIFY record for objref {} follows the FILE of {}", h.objref, objref);
        if (rec.reserved != 0 || rec.nr_watches > max_watches) r.fail_at("INOTIFY objref {}: {} watches", objref, rec.nr_watches);
        if ((file.flags & O_ACCMODE) != O_RDONLY) r.fail_at("INOTIFY objref {}: an inotify instance is read-only", objref);
        UniqueFd root(::open(ctx.root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
        if (!root) throw_errno("open the container root {}", ctx.root);
        struct Watch {
            img::InotifyWatchRecord rec;
            std::string path;
        };
        std::vector<Watch> list;
        int last = 0;
        for (uint32_t i = 0; i < rec.nr_watches; ++i) {
            img::RecordHeader wh{};
            auto wr = r.expect<img::RecordType::inotify_watch>(&wh);
            if (wh.objref != objref) r.fail_at("INOTIFY_WATCH of objref {} inside INOTIFY objref {}", wh.objref, objref);
            if (wr.wd <= last || wr.wd > static_cast<int32_t>(max_watches) * 16)
                r.fail_at("INOTIFY objref {}: watch descriptor {} out of order or range", objref, wr.wd);
            if (wr.mask & ~known_mask || !(wr.mask & IN_ALL_EVENTS))
                r.fail_at("INOTIFY objref {}: watch {} has mask {:#x}", objref, wr.wd, wr.mask);
            auto sh = r.next();
            if (!sh || sh->type != static_cast<uint32_t>(img::RecordType::string) || sh->objref != objref)
                r.fail_at("INOTIFY objref {}: expected the path of watch {} in a STRING", objref, wr.wd);
            list.push_back({wr, r.read_string()});
            if (auto why = non_canonical_reason(list.back().path))
                r.fail_at("INOTIFY objref {}: watched path {} is not one a checkpoint writes: {}", objref, list.back().path, *why);
            last = wr.wd;
        }
        // The instance and every watch are made with the task's credentials:
        // a watch needs read permission on its inode, as the task's own would.
        UniqueFd fd;
        std::vector<int> fillers;
        ctx.run_as_task([&] {
            fd.reset(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
            if (!fd) throw_errno("inotify_init1 for objref {}", objref);
            int prev = 0;
            for (const auto& [wr, path] : list) {
                UniqueFd target = open_in_root(root.get(), path, O_PATH);
                if (!target) throw_errno("inotify objref {}: opening watched path {} in the container root", objref, path);
                std::string via = fmt::format("/proc/self/fd/{}", target.get());
                // Watch numbers come from a cyclic counter: throwaway watches
                // (on memfds, distinct inodes) take the numbers of removed watches.
                for (int next = prev + 1; next < wr.wd; ++next) {
                    UniqueFd filler(::memfd_create("myrt-inotify-filler", MFD_CLOEXEC));
                    if (!filler) throw_errno("memfd for an inotify filler watch");
                    int wd = ::inotify_add_watch(fd.get(), fmt::format("/proc/self/fd/{}", filler.get()).c_str(), IN_ATTRIB);
                    if (wd != next) fail("inotify objref {}: filler watch got number {}, wanted {}", objref, wd, next);
                    fillers.push_back(wd);
                }
                int wd = ::inotify_add_watch(fd.get(), via.c_str(), wr.mask & ~add_only_flags);
                if (wd < 0) throw_errno("inotify objref {}: watching {} with the credentials of its task", objref, path);
                if (wd != wr.wd)
                    fail("inotify objref {}: the watch on {} got number {}, the task knows it as {}", objref, path, wd, wr.wd);
                prev = wd;
            }
        });
        if (!fillers.empty()) {
            for (int wd : fillers) ::inotify_rm_watch(fd.get(), wd);
            // Each removal queued an IN_IGNORED event: read them away.
            char buf[4096];
            while (::read(fd.get(), buf, sizeof buf) > 0) {
            }
        }
        if (!(file.flags & O_NONBLOCK)) ::myrt::check(::fcntl(fd.get(), F_SETFL, 0), "clearing O_NONBLOCK on inotify objref {}", objref);
        return fd;
    }
};

}  // namespace

std::unique_ptr<FdKindOps> make_inotify_kind() { return std::make_unique<InotifyKind>(); }

}  // namespace myrt::cr::files
