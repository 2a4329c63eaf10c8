#include "cr/files/fd_scan.hpp"
#include "cr/files/fd_kind_ops.hpp"

#include "util/error.hpp"

#include <sys/statfs.h>  // cr/ipc
#include <sys/xattr.h>   // cr/net: a socket's protocol
#include <dirent.h>
#include <fcntl.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>

namespace myrt::cr::files {

namespace {

std::string read_link(const std::string& path) {
    std::string buf(4096, '\0');
    ssize_t n = ::readlink(path.c_str(), buf.data(), buf.size());
    if (n < 0) throw_errno("readlink {}", path);
    buf.resize(static_cast<size_t>(n));
    return buf;
}

void read_fdinfo(pid_t pid, OpenFd& fd) {
    std::string path = fmt::format("/proc/{}/fdinfo/{}", pid, fd.fd);
    std::ifstream in(path);
    if (!in) throw_errno("open {}", path);
    std::string line;
    bool have_flags = false;
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        std::string key;
        fields >> key;
        if (key == "pos:") fields >> fd.pos;
        else if (key == "flags:") {
            fields >> std::oct >> fd.flags;
            have_flags = true;
        } else if (key == "mnt_id:") fields >> fd.mnt_id;
    }
    if (!have_flags) fail("{} has no flags line", path);
}

// "anon_inode:[eventfd]" -> "eventfd", "anon_inode:inotify" -> "inotify".
std::string anon_name(std::string_view link) {
    auto colon = link.find(':');
    std::string_view rest = colon == std::string_view::npos ? link : link.substr(colon + 1);
    if (rest.starts_with('[') && rest.ends_with(']')) rest = rest.substr(1, rest.size() - 2);
    if (rest == "eventpoll") return "epoll";
    return std::string(rest);
}

void classify(OpenFd& fd) {
    const std::string& link = fd.link;
    mode_t type = fd.st.st_mode & S_IFMT;
    if (link.starts_with("pipe:[")) {
        fd.kind = FdKind::pipe;
    } else if (link.starts_with("socket:[")) {
        fd.what = "socket";
    } else if (link.starts_with("anon_inode:")) {
        fd.what = anon_name(link);
    } else if (!link.starts_with('/')) {
        fd.what = anon_name(link);  // "pidfd:[N]" on pidfs, "net:[...]" namespace fds...
        if (fd.what.empty()) fd.what = link;
    } else if (link.starts_with("/memfd:")) {
        fd.what = "memfd";  // seals and the name would be lost on a plain temp file
    } else if (type == S_IFREG) {
        fd.kind = fd.st.st_nlink == 0 ? FdKind::deleted : FdKind::regular;
    } else if (type == S_IFDIR) {
        fd.kind = fd.st.st_nlink == 0 ? FdKind::deleted_dir : FdKind::directory;
    } else if (type == S_IFCHR) {
        unsigned maj = major(fd.st.st_rdev);
        if ((maj >= 136 && maj <= 143) || (maj == 5 && minor(fd.st.st_rdev) == 2) || (maj == 4 && minor(fd.st.st_rdev) < 64))
            fd.what = "pty or terminal (ttys come with the tty subsystem)";
        else if (restorable_chardev(fd.st.st_rdev)) fd.kind = FdKind::chardev;
        else fd.what = fmt::format("character device {}:{}", maj, minor(fd.st.st_rdev));
    } else if (type == S_IFIFO) {
        if (fd.st.st_nlink == 0) fd.what = "deleted named FIFO";
        else fd.kind = FdKind::fifo;
    } else if (type == S_IFLNK && (fd.flags & O_PATH)) {
        fd.kind = FdKind::symlink;  // O_PATH | O_NOFOLLOW on a symlink: the link itself
    } else if (type == S_IFBLK) {
        fd.what = "block device";
    } else if (type == S_IFSOCK) {
        fd.what = "socket";
    } else {
        fd.what = fmt::format("file of type {:o}", type);
    }
}

struct DirCloser {
    void operator()(DIR* d) const { ::closedir(d); }
};

}  // namespace

bool restorable_chardev(dev_t rdev) {
    unsigned maj = major(rdev), min = minor(rdev);
    if (maj == 1) return min == 3 || min == 5 || min == 7 || min == 8 || min == 9;
    return is_controlling_tty(rdev);
}

bool is_controlling_tty(dev_t rdev) { return major(rdev) == 5 && minor(rdev) == 0; }

OpenFd scan_fd(pid_t pid, int fdnum) {
    OpenFd fd;
    fd.fd = fdnum;
    std::string path = fmt::format("/proc/{}/fd/{}", pid, fdnum);
    // The tasks are stopped: an fd cannot vanish under us, so any failure is real.
    if (::stat(path.c_str(), &fd.st) < 0) throw_errno("stat fd {} of pid {} ({})", fd.fd, pid, path);
    fd.link = read_link(path);
    read_fdinfo(pid, fd);
    classify(fd);
    // cr/net: the socket's protocol, so the unix and inet kinds can each claim theirs.
    if (fd.link.starts_with("socket:[")) {
        char proto[64] = {};
        ssize_t n = ::getxattr(path.c_str(), "system.sockprotoname", proto, sizeof proto - 1);
        if (n > 0) fd.sock_proto.assign(proto, ::strnlen(proto, static_cast<size_t>(n)));
    }
    // cr/ipc: a POSIX queue descriptor looks like a regular file "/NAME";
    // it belongs to the mqueue fd kind (cr/ipc/mqueue_fd.cpp).
    if (struct statfs sfs {}; (fd.kind == FdKind::regular || fd.kind == FdKind::deleted) &&
                              ::statfs(path.c_str(), &sfs) == 0 &&
                              sfs.f_type == 0x19800202 /* MQUEUE_MAGIC */) {
        fd.kind = FdKind::unsupported;
        fd.what = "POSIX message queue";
    }
    if (fd.kind == FdKind::unsupported) {
        fd.ops = FdKindRegistry::global().claim(fd);
        if (fd.ops) fd.kind = FdKind::extension;
    }
    return fd;
}

std::vector<OpenFd> scan_fds(pid_t pid) {
    std::string dir = fmt::format("/proc/{}/fd", pid);
    std::unique_ptr<DIR, DirCloser> d(::opendir(dir.c_str()));
    if (!d) throw_errno("reading the open files of pid {} ({})", pid, dir);
    std::vector<OpenFd> out;
    while (dirent* e = ::readdir(d.get())) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
        out.push_back(scan_fd(pid, std::stoi(e->d_name)));
    }
    std::sort(out.begin(), out.end(), [](const OpenFd& a, const OpenFd& b) { return a.fd < b.fd; });
    return out;
}

std::string unsupported_message(pid_t pid, const OpenFd& fd) {
    return fmt::format("fd {} of pid {} is a {} ({}): checkpoint of this kind of file is not supported", fd.fd, pid,
                       fd.what, fd.link);
}

std::vector<int> mount_ids(pid_t pid) {
    std::string path = fmt::format("/proc/{}/mountinfo", pid);
    std::ifstream in(path);
    if (!in) throw_errno("open {}", path);
    std::vector<int> ids;
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        int id = -1;
        if (fields >> id) ids.push_back(id);
    }
    return ids;
}

}  // namespace myrt::cr::files
