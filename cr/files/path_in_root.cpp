#include "cr/files/path_in_root.hpp"

#include "util/error.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <memory>

namespace myrt::cr::files {

UniqueFd open_in_root(int root_fd, std::string_view path, int flags, mode_t mode) {
    std::string rel(path);
    while (rel.starts_with('/')) rel.erase(0, 1);
    if (rel.empty()) rel = ".";
    open_how how{};
    // openat2 refuses any flag O_PATH ignores (open(2) would drop them silently).
    if (flags & O_PATH) flags &= O_PATH | O_DIRECTORY | O_NOFOLLOW;
    else flags |= O_NOCTTY;
    how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
    how.mode = (flags & (O_CREAT | __O_TMPFILE)) ? mode : 0;
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    long rc = ::syscall(SYS_openat2, root_fd, rel.c_str(), &how, sizeof how);
    return UniqueFd(rc < 0 ? -1 : static_cast<int>(rc));
}

std::optional<std::string> non_canonical_reason(std::string_view path) {
    if (!path.starts_with('/')) return "it is not an absolute path";
    if (path.find('\0') != std::string_view::npos) return "it holds a NUL byte";
    if (path == "/") return std::nullopt;
    size_t pos = 1;
    while (true) {
        size_t slash = path.find('/', pos);
        std::string_view part = path.substr(pos, slash == std::string_view::npos ? std::string_view::npos : slash - pos);
        if (part.empty()) return "it has an empty component (\"//\" or a trailing \"/\")";
        if (part == "." || part == "..") return fmt::format("it has a \"{}\" component", part);
        if (slash == std::string_view::npos) return std::nullopt;
        pos = slash + 1;
    }
}

std::string root_prefix(const std::string& root) {
    char buf[PATH_MAX];
    ssize_t n = ::readlink(root.c_str(), buf, sizeof buf - 1);
    std::string out;
    if (n >= 0) {
        out.assign(buf, static_cast<size_t>(n));
    } else {
        std::unique_ptr<char, decltype(&::free)> real(::realpath(root.c_str(), nullptr), &::free);
        if (!real) throw_errno("resolving the container root {}", root);
        out = real.get();
    }
    while (out.size() > 1 && out.ends_with('/')) out.pop_back();
    return out;
}

std::string path_below(const std::string& link, const std::string& prefix) {
    if (prefix == "/" || prefix.empty()) return link;
    if (link == prefix) return "/";
    if (link.starts_with(prefix) && link[prefix.size()] == '/') return link.substr(prefix.size());
    // Outside the prefix: a task in another mount namespace shows paths from
    // that namespace's root already. The caller checks the path leads to the file.
    return link;
}

}  // namespace myrt::cr::files
