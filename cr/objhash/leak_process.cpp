#include "cr/objhash/leak_process.hpp"

#include "util/error.hpp"
#include "util/fd.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/kcmp.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>

namespace myrt::cr::objhash {

namespace {

struct DirCloser {
    void operator()(DIR* d) const { closedir(d); }
};
using DirPtr = std::unique_ptr<DIR, DirCloser>;

std::optional<long> parse_number(std::string_view s) {
    long v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
    return v;
}

// Relative to an open /proc/PID/fd (or ns) directory: the scan of every host
// process makes thousands of these calls, and each full path would be walked
// again from /proc.
std::string read_link_at(int dir_fd, const char* name) {
    char buf[4096];
    ssize_t n = ::readlinkat(dir_fd, name, buf, sizeof(buf) - 1);
    if (n < 0) return {};
    return std::string(buf, static_cast<size_t>(n));
}

}  // namespace

ProcessView::ProcessView(pid_t pid, const std::vector<int>& only_fds) : pid_(pid), maps_(std::vector<MapEntry>{}), ns_(std::vector<NsEntry>{}) {
    fds_.emplace();
    for (int fd : only_fds) {
        std::string path = fmt::format("/proc/{}/fd/{}", pid_, fd);
        struct stat st{};
        if (::stat(path.c_str(), &st) < 0) throw_errno("stat of fd {} of pid {}", fd, pid_);
        char buf[4096];
        ssize_t n = ::readlink(path.c_str(), buf, sizeof buf);
        if (n < 0) throw_errno("readlink {}", path);
        fds_->push_back(FdEntry{fd, std::string(buf, static_cast<size_t>(n)), st.st_dev, st.st_ino, st.st_mode});
    }
}

const std::string& ProcessView::comm() {
    if (!comm_) {
        std::ifstream in(fmt::format("/proc/{}/comm", pid_));
        std::string c;
        std::getline(in, c);
        comm_ = c.empty() ? std::string("?") : c;
    }
    return *comm_;
}

const std::vector<FdEntry>& ProcessView::fds() {
    if (fds_) return *fds_;
    fds_.emplace();
    std::string dir = fmt::format("/proc/{}/fd", pid_);
    DirPtr d(::opendir(dir.c_str()));
    if (!d) {
        if (errno == ENOENT || errno == ESRCH) return *fds_;  // exited meanwhile
        throw_errno("reading the open files of pid {} ({})", pid_, dir);
    }
    while (dirent* e = ::readdir(d.get())) {
        auto fd = parse_number(e->d_name);
        if (!fd) continue;
        FdEntry entry;
        entry.fd = static_cast<int>(*fd);
        struct stat st{};
        if (::fstatat(::dirfd(d.get()), e->d_name, &st, 0) < 0) continue;  // closed meanwhile
        entry.link = read_link_at(::dirfd(d.get()), e->d_name);
        entry.dev = st.st_dev;
        entry.ino = st.st_ino;
        entry.mode = st.st_mode;
        fds_->push_back(std::move(entry));
    }
    return *fds_;
}

const std::vector<MapEntry>& ProcessView::maps() {
    if (maps_) return *maps_;
    maps_.emplace();
    std::string path = fmt::format("/proc/{}/maps", pid_);
    std::ifstream in(path);
    if (!in && (errno == EACCES || errno == EPERM)) throw_errno("reading the mappings of pid {} ({})", pid_, path);
    std::string line;
    while (std::getline(in, line)) {
        // start-end perms offset major:minor inode [path]
        std::istringstream ls(line);
        std::string range, perms, offset, devs;
        uint64_t ino = 0;
        if (!(ls >> range >> perms >> offset >> devs >> ino)) continue;
        MapEntry m;
        auto dash = range.find('-');
        auto colon = devs.find(':');
        if (dash == std::string::npos || colon == std::string::npos || perms.size() < 4) continue;
        m.start = std::stoull(range.substr(0, dash), nullptr, 16);
        m.end = std::stoull(range.substr(dash + 1), nullptr, 16);
        m.shared = perms[3] == 's';
        m.writable = perms[1] == 'w';
        m.dev = makedev(std::stoul(devs.substr(0, colon), nullptr, 16), std::stoul(devs.substr(colon + 1), nullptr, 16));
        m.ino = ino;
        std::getline(ls >> std::ws, m.path);
        maps_->push_back(std::move(m));
    }
    return *maps_;
}

const std::vector<NsEntry>& ProcessView::namespaces() {
    if (ns_) return *ns_;
    ns_.emplace();
    std::string dir = fmt::format("/proc/{}/ns", pid_);
    DirPtr d(::opendir(dir.c_str()));
    if (!d) return *ns_;
    while (dirent* e = ::readdir(d.get())) {
        if (e->d_name[0] == '.') continue;
        struct stat st{};
        if (::fstatat(::dirfd(d.get()), e->d_name, &st, 0) < 0) {
            if (errno == EACCES || errno == EPERM) throw_errno("reading the namespaces of pid {} ({}/{})", pid_, dir, e->d_name);
            continue;
        }
        ns_->push_back(NsEntry{e->d_name, read_link_at(::dirfd(d.get()), e->d_name), st.st_dev, st.st_ino});
    }
    return *ns_;
}

std::vector<pid_t> list_processes() {
    std::vector<pid_t> out;
    DirPtr d(::opendir("/proc"));
    if (!d) throw_errno("listing /proc");
    while (dirent* e = ::readdir(d.get()))
        if (auto pid = parse_number(e->d_name)) out.push_back(static_cast<pid_t>(*pid));
    return out;
}

bool is_kernel_thread(pid_t pid) {
    char buf[512];
    UniqueFd fd(::open(fmt::format("/proc/{}/stat", pid).c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return false;
    ssize_t n = ::read(fd.get(), buf, sizeof buf - 1);
    if (n <= 0) return false;
    buf[n] = '\0';
    // "pid (comm) state ppid pgrp session tty_nr tpgid flags ...": comm may
    // hold spaces and parentheses, so fields are counted after the last ')'.
    const char* p = std::strrchr(buf, ')');
    if (!p) return false;
    unsigned long flags = 0;
    if (std::sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %lu", &flags) != 1) return false;
    constexpr unsigned long pf_kthread = 0x00200000;
    return flags & pf_kthread;
}

pid_t thread_group_of(pid_t pid) {
    std::ifstream in(fmt::format("/proc/{}/status", pid));
    std::string line;
    while (std::getline(in, line))
        if (line.starts_with("Tgid:")) return static_cast<pid_t>(std::stol(line.substr(5)));
    return 0;
}

int kcmp_compare(pid_t pid1, pid_t pid2, int type, unsigned long idx1, unsigned long idx2) {
    return static_cast<int>(::syscall(SYS_kcmp, pid1, pid2, type, idx1, idx2));
}

}  // namespace myrt::cr::objhash
