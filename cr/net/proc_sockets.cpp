#include "cr/net/proc_sockets.hpp"

#include "util/error.hpp"

#include <dirent.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdlib>

namespace myrt::cr::net {

namespace {

std::vector<int> numeric_entries(const std::string& dir) {
    std::vector<int> out;
    DIR* d = ::opendir(dir.c_str());
    if (!d) return out;
    while (dirent* e = ::readdir(d))
        if (e->d_name[0] >= '0' && e->d_name[0] <= '9') out.push_back(std::atoi(e->d_name));
    ::closedir(d);
    return out;
}

}  // namespace

std::string read_link(const std::string& path) {
    char buf[256];
    ssize_t n = ::readlink(path.c_str(), buf, sizeof buf);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

uint64_t socket_ino(const std::string& link) {
    if (!link.starts_with("socket:[") || !link.ends_with("]")) return 0;
    return std::strtoull(link.c_str() + 8, nullptr, 10);
}

std::vector<pid_t> container_pids(pid_t init_pid) {
    std::string ns = read_link(fmt::format("/proc/{}/ns/pid", init_pid));
    if (ns.empty()) throw_errno("reading the pid namespace of the container's init {}", init_pid);
    std::vector<pid_t> out;
    for (int p : numeric_entries("/proc"))
        if (read_link(fmt::format("/proc/{}/ns/pid", p)) == ns) out.push_back(p);
    return out;
}

std::vector<std::pair<int, uint64_t>> socket_fds_of(pid_t pid) {
    std::vector<std::pair<int, uint64_t>> out;
    for (int fd : numeric_entries(fmt::format("/proc/{}/fd", pid)))
        if (uint64_t ino = socket_ino(read_link(fmt::format("/proc/{}/fd/{}", pid, fd)))) out.emplace_back(fd, ino);
    return out;
}

UniqueFd grab_fd(pid_t pid, int fd) {
    UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    if (!pidfd) throw_errno("pidfd_open of pid {}", pid);
    UniqueFd got(static_cast<int>(::syscall(SYS_pidfd_getfd, pidfd.get(), fd, 0)));
    if (!got) throw_errno("pidfd_getfd of fd {} of pid {}", fd, pid);
    return got;
}

std::map<uint64_t, std::string> outside_holders(const std::set<uint64_t>& inodes, const std::set<pid_t>& inside) {
    std::map<uint64_t, std::string> out;
    if (inodes.empty()) return out;
    const pid_t self = ::getpid();
    for (int p : numeric_entries("/proc")) {
        if (inside.count(p) || p == self) continue;
        for (int fd : numeric_entries(fmt::format("/proc/{}/fd", p))) {
            uint64_t ino = socket_ino(read_link(fmt::format("/proc/{}/fd/{}", p, fd)));
            if (!ino || !inodes.count(ino)) continue;
            auto& s = out[ino];
            s += fmt::format("{}fd {} of pid {}", s.empty() ? "" : ", ", fd, p);
        }
    }
    return out;
}

}  // namespace myrt::cr::net
