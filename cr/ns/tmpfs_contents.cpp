#include "cr/ns/tmpfs_contents.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>

#include "util/error.hpp"

namespace myrt::cr::ns {
namespace {

// A tmpfs mounted in a user namespace refuses new inodes whose creator's
// fsuid/fsgid it does not map (EOVERFLOW): host root is not mapped there. So
// each entry is created with its own (checked, mapped) owner as fsuid/fsgid,
// on this thread only (raw syscalls). A non-zero fsuid drops the file-system
// capabilities from the effective set; they are raised again from the
// permitted set for the create, and a zero fsuid brings them back after.
class AsFsOwner {
public:
    AsFsOwner(uint32_t uid, uint32_t gid) {
        ::syscall(SYS_setfsgid, gid);
        ::syscall(SYS_setfsuid, uid);
        __user_cap_header_struct h{_LINUX_CAPABILITY_VERSION_3, 0};
        __user_cap_data_struct d[2]{};
        if (::syscall(SYS_capget, &h, d) == 0) {
            for (auto& x : d) x.effective = x.permitted;
            ::syscall(SYS_capset, &h, d);
        }
    }
    ~AsFsOwner() {
        ::syscall(SYS_setfsuid, 0);
        ::syscall(SYS_setfsgid, 0);
    }
    AsFsOwner(const AsFsOwner&) = delete;
    AsFsOwner& operator=(const AsFsOwner&) = delete;
};


int openat2_in_root(int dirfd, const std::string& path, int flags) {
    open_how how{};
    how.flags = static_cast<uint64_t>(flags) | O_CLOEXEC;
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    return static_cast<int>(::syscall(SYS_openat2, dirfd, path.c_str(), &how, sizeof how));
}

void walk(int dirfd, const std::string& mount, const std::string& rel,
          const std::function<void(const TmpfsEntry&)>& entry,
          const std::function<void(std::span<const std::byte>)>& data) {
    int dupfd = ::dup(dirfd);
    if (dupfd < 0) throw_errno("dup");
    DIR* d = ::fdopendir(dupfd);
    if (!d) {
        ::close(dupfd);
        throw_errno("read directory {}/{}", mount, rel);
    }
    std::vector<std::string> names;
    while (auto* e = ::readdir(d))
        if (std::string n = e->d_name; n != "." && n != "..") names.push_back(n);
    ::closedir(d);
    for (auto& n : names) {
        std::string path = rel.empty() ? n : rel + "/" + n;
        struct stat s {};
        if (::fstatat(dirfd, n.c_str(), &s, AT_SYMLINK_NOFOLLOW) != 0) throw_errno("stat {}/{}", mount, path);
        TmpfsEntry e;
        e.mode = s.st_mode & 07777;
        e.uid = s.st_uid;
        e.gid = s.st_gid;
        e.mount = mount;
        e.path = path;
        if (S_ISDIR(s.st_mode)) {
            e.kind = TmpfsKind::dir;
            entry(e);
            UniqueFd sub(::openat(dirfd, n.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
            if (!sub) throw_errno("open directory {}/{}", mount, path);
            walk(sub.get(), mount, path, entry, data);
        } else if (S_ISREG(s.st_mode)) {
            e.kind = TmpfsKind::file;
            e.size = static_cast<uint64_t>(s.st_size);
            UniqueFd f(::openat(dirfd, n.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
            if (!f) throw_errno("open {}/{}", mount, path);
            entry(e);
            std::vector<std::byte> buf(1 << 20);
            uint64_t left = e.size;
            while (left > 0) {
                ssize_t r = ::read(f.get(), buf.data(), std::min<uint64_t>(buf.size(), left));
                if (r < 0 && errno == EINTR) continue;
                if (r < 0) throw_errno("read {}/{}", mount, path);
                if (r == 0) fail("{}/{} shrank while it was dumped", mount, path);
                data(std::span(buf.data(), static_cast<size_t>(r)));
                left -= static_cast<uint64_t>(r);
            }
        } else if (S_ISLNK(s.st_mode)) {
            e.kind = TmpfsKind::symlink;
            char target[4096];
            ssize_t r = ::readlinkat(dirfd, n.c_str(), target, sizeof target - 1);
            if (r < 0) throw_errno("readlink {}/{}", mount, path);
            e.target.assign(target, static_cast<size_t>(r));
            entry(e);
        } else {
            fail("not supported yet: {}/{} in a tmpfs of the container is a special file (mode {:o})", mount, path,
                 s.st_mode);
        }
    }
}

void check_relative(const std::string& path) {
    if (path.empty() || path.front() == '/') fail("tmpfs entry path \"{}\" is not a relative path", path);
    size_t pos = 0;
    while (pos <= path.size()) {
        auto slash = path.find('/', pos);
        auto comp = path.substr(pos, slash == std::string::npos ? std::string::npos : slash - pos);
        if (comp.empty() || comp == "." || comp == "..")
            fail("tmpfs entry path \"{}\" has an empty, \".\" or \"..\" component", path);
        if (slash == std::string::npos) break;
        pos = slash + 1;
    }
}

}  // namespace

std::vector<std::string> tmpfs_mounts_to_dump(const std::vector<std::pair<std::string, std::string>>& dest_and_type) {
    std::vector<std::string> out;
    for (auto& [dest, type] : dest_and_type)
        if (type == "tmpfs" && dest != "/dev") out.push_back(dest);
    return out;
}

void dump_tmpfs_contents(pid_t pid, const std::vector<std::string>& mounts,
                         const std::function<void(const TmpfsEntry&)>& entry,
                         const std::function<void(std::span<const std::byte>)>& data) {
    auto root_path = fmt::format("/proc/{}/root", pid);
    UniqueFd root(::open(root_path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root) throw_errno("open {}", root_path);
    for (auto& m : mounts) {
        UniqueFd dir(openat2_in_root(root.get(), m, O_RDONLY | O_DIRECTORY));
        if (!dir) {
            if (errno == ENOENT) continue;  // a mount the process hid under another
            throw_errno("open the container's tmpfs {}", m);
        }
        walk(dir.get(), m, "", entry, data);
    }
}

TmpfsRestorer::TmpfsRestorer(pid_t pid, std::set<std::string> allowed, TmpfsMaker maker)
    : pid_(pid), allowed_(std::move(allowed)), maker_(std::move(maker)) {}

// What the kernel lets the bundle's process do: chown needs CAP_CHOWN (or
// CAP_SETUID/CAP_SETGID to become the owner); chmod u+s needs the file's owner
// or CAP_FOWNER; g+s sticks only on a group it is in, or with CAP_FSETID. A
// new entry in a setgid directory gets the directory's group (and, for a
// directory, its setgid bit) without asking.
void TmpfsRestorer::check_maker(const TmpfsEntry& e, int parent_fd) const {
    auto has = [&](int cap) { return (maker_.caps >> cap) & 1; };
    struct stat parent {};
    if (::fstat(parent_fd, &parent) != 0) throw_errno("stat of the directory of {}", current_);
    const bool inherits_group = (parent.st_mode & S_ISGID) && parent.st_gid == e.gid;
    const bool in_group = e.gid == maker_.gid ||
                          std::find(maker_.groups.begin(), maker_.groups.end(), e.gid) != maker_.groups.end();
    const std::string who = fmt::format("the bundle's user (uid {} gid {}, capabilities {:#x})", maker_.uid, maker_.gid, maker_.caps);
    if (e.uid != maker_.uid && !has(CAP_CHOWN) && !has(CAP_SETUID))
        fail("tmpfs entry {}: field uid is {}, an owner {} cannot give without CAP_CHOWN", current_, e.uid, who);
    if (!in_group && !inherits_group && !has(CAP_CHOWN) && !has(CAP_SETGID))
        fail("tmpfs entry {}: field gid is {}, a group {} is not in and cannot give without CAP_CHOWN", current_, e.gid, who);
    if ((e.mode & S_ISUID) && e.uid != maker_.uid && !has(CAP_FOWNER) && !has(CAP_SETUID))
        fail("tmpfs entry {}: field mode is {:04o}, setuid on a file of uid {}, which {} cannot set", current_, e.mode, e.uid, who);
    const bool sgid_inherited = e.kind == TmpfsKind::dir && inherits_group;
    if ((e.mode & S_ISGID) && !in_group && !sgid_inherited && !has(CAP_FSETID) && !has(CAP_SETGID))
        fail("tmpfs entry {}: field mode is {:04o}, setgid on group {}, which {} cannot set without CAP_FSETID", current_,
             e.mode, e.gid, who);
}

int TmpfsRestorer::mount_fd(const std::string& mount) {
    for (auto& [m, fd] : mounts_)
        if (m == mount) return fd.get();
    if (!allowed_.count(mount)) fail("the image holds tmpfs contents for {}, which is not a tmpfs mount of the bundle", mount);
    auto root_path = fmt::format("/proc/{}/root", pid_);
    UniqueFd root(::open(root_path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root) throw_errno("open {}", root_path);
    UniqueFd dir(openat2_in_root(root.get(), mount, O_PATH | O_DIRECTORY));
    if (!dir) throw_errno("open the restored container's tmpfs {}", mount);
    mounts_.emplace_back(mount, std::move(dir));
    return mounts_.back().second.get();
}

void TmpfsRestorer::begin(const TmpfsEntry& e) {
    if (file_) fail("tmpfs entry {} begins before {} got its contents", e.path, current_);
    check_relative(e.path);
    int mfd = mount_fd(e.mount);
    auto slash = e.path.rfind('/');
    std::string parent = slash == std::string::npos ? "." : e.path.substr(0, slash);
    std::string name = slash == std::string::npos ? e.path : e.path.substr(slash + 1);
    UniqueFd pdir(openat2_in_root(mfd, parent, O_PATH | O_DIRECTORY));
    if (!pdir) throw_errno("open {}/{} in the restored container", e.mount, parent);
    current_ = e.mount + "/" + e.path;
    check_maker(e, pdir.get());
    const mode_t mode = e.mode & 07777;
    AsFsOwner as_owner(e.uid, e.gid);
    switch (e.kind) {
        case TmpfsKind::dir:
            if (::mkdirat(pdir.get(), name.c_str(), 0700) != 0) throw_errno("mkdir {}", current_);
            if (::fchownat(pdir.get(), name.c_str(), e.uid, e.gid, AT_SYMLINK_NOFOLLOW) != 0 ||
                ::fchmodat(pdir.get(), name.c_str(), mode, 0) != 0)
                throw_errno("set owner and mode of {}", current_);
            break;
        case TmpfsKind::symlink:
            if (::symlinkat(e.target.c_str(), pdir.get(), name.c_str()) != 0) throw_errno("symlink {}", current_);
            if (::fchownat(pdir.get(), name.c_str(), e.uid, e.gid, AT_SYMLINK_NOFOLLOW) != 0)
                throw_errno("set owner of {}", current_);
            break;
        case TmpfsKind::file: {
            file_.reset(::openat(pdir.get(), name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
            if (!file_) throw_errno("create {}", current_);
            if (::fchown(file_.get(), e.uid, e.gid) != 0 || ::fchmod(file_.get(), mode) != 0)
                throw_errno("set owner and mode of {}", current_);
            expected_ = e.size;
            written_ = 0;
            if (expected_ == 0) file_.reset();
            break;
        }
        default:
            fail("tmpfs entry {} has unknown kind {}", current_, static_cast<uint32_t>(e.kind));
    }
}

void TmpfsRestorer::data(std::span<const std::byte> bytes) {
    if (!file_) fail("tmpfs contents without a file to hold them (after {})", current_);
    if (bytes.size() > expected_ - written_) fail("tmpfs file {} gets more bytes than its size {}", current_, expected_);
    size_t off = 0;
    while (off < bytes.size()) {
        ssize_t w = ::write(file_.get(), bytes.data() + off, bytes.size() - off);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) throw_errno("write {}", current_);
        off += static_cast<size_t>(w);
    }
    written_ += bytes.size();
    if (written_ == expected_) file_.reset();
}

void TmpfsRestorer::end() {
    if (file_) fail("tmpfs file {} got {} of its {} bytes", current_, written_, expected_);
}

}  // namespace myrt::cr::ns
