#include "runtime/path_resolve.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <vector>

#include "util/error.hpp"

namespace myrt::runtime {
namespace {
std::vector<std::string> split(const std::string& p) {
    std::vector<std::string> parts;
    size_t i = 0;
    while (i < p.size()) {
        size_t j = p.find('/', i);
        if (j == std::string::npos) j = p.size();
        if (j > i) parts.push_back(p.substr(i, j - i));
        i = j + 1;
    }
    return parts;
}
}  // namespace

std::string resolve_in_root(const std::string& root, const std::string& path) {
    std::vector<std::string> resolved;  // components below root, all symlink-free
    std::vector<std::string> pending = split(path);
    std::reverse(pending.begin(), pending.end());
    int links = 0;
    while (!pending.empty()) {
        std::string c = pending.back();
        pending.pop_back();
        if (c == ".") continue;
        if (c == "..") {
            if (!resolved.empty()) resolved.pop_back();
            continue;
        }
        std::string host = root;
        for (auto& r : resolved) host += "/" + r;
        host += "/" + c;
        struct stat st;
        if (::lstat(host.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) {
            if (++links > 255) fail("too many levels of symbolic links resolving {} in {}", path, root);
            char buf[PATH_MAX];
            ssize_t n = ::readlink(host.c_str(), buf, sizeof buf - 1);
            if (n < 0) throw_errno("readlink {}", host);
            std::string target(buf, static_cast<size_t>(n));
            if (!target.empty() && target[0] == '/') resolved.clear();
            auto tp = split(target);
            for (auto it = tp.rbegin(); it != tp.rend(); ++it) pending.push_back(*it);
            continue;
        }
        resolved.push_back(c);
    }
    std::string out = root;
    for (auto& r : resolved) out += "/" + r;
    return out;
}

UniqueFd open_in_root(int root_fd, const std::string& path, int flags) {
    open_how how{};
    how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    std::string relative = path;
    while (!relative.empty() && relative[0] == '/') relative.erase(0, 1);
    if (relative.empty()) relative = ".";
    return UniqueFd(static_cast<int>(::syscall(SYS_openat2, root_fd, relative.c_str(), &how, sizeof how)));
}

}  // namespace myrt::runtime
