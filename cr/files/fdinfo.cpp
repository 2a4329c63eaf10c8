#include "cr/files/fdinfo.hpp"

#include "util/error.hpp"

#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>

namespace myrt::cr::files {

std::vector<std::string> fdinfo_lines(pid_t pid, int fd) {
    std::string path = fmt::format("/proc/{}/fdinfo/{}", pid, fd);
    std::ifstream in(path);
    if (!in) throw_errno("open {}", path);
    std::vector<std::string> out;
    std::string line;
    while (std::getline(in, line)) out.push_back(line);
    return out;
}

std::optional<std::string> fdinfo_field(const std::vector<std::string>& lines, std::string_view key) {
    for (const auto& line : lines) {
        if (!line.starts_with(key) || line.size() <= key.size() || line[key.size()] != ':') continue;
        std::string_view rest = std::string_view(line).substr(key.size() + 1);
        while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t')) rest.remove_prefix(1);
        while (!rest.empty() && (rest.back() == ' ' || rest.back() == '\t')) rest.remove_suffix(1);
        return std::string(rest);
    }
    return std::nullopt;
}

std::string fdinfo_require(const std::vector<std::string>& lines, std::string_view key, std::string_view what, pid_t pid,
                           int fd) {
    auto v = fdinfo_field(lines, key);
    if (!v) fail("fd {} of pid {} ({}): /proc/{}/fdinfo/{} has no \"{}:\" line", fd, pid, what, pid, fd, key);
    return *v;
}

uint64_t parse_number(std::string_view text, int base, std::string_view what) {
    std::string s(text);
    if (s.empty()) fail("{}: empty number", what);
    char* end = nullptr;
    errno = 0;
    unsigned long long v = std::strtoull(s.c_str(), &end, base);
    if (errno != 0 || end == s.c_str() || *end != '\0' || s.front() == '-') fail("{}: \"{}\" is not a number", what, s);
    return v;
}

UniqueFd task_fd_copy(pid_t pid, int fd, std::string_view what) {
    UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    if (!pidfd) throw_errno("pidfd_open of pid {} (to read its {} at fd {})", pid, what, fd);
    UniqueFd copy(static_cast<int>(::syscall(SYS_pidfd_getfd, pidfd.get(), fd, 0)));
    if (!copy) throw_errno("pidfd_getfd of fd {} of pid {} ({})", fd, pid, what);
    return copy;
}

}  // namespace myrt::cr::files
