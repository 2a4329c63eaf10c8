#include "runtime/inherited_fds.hpp"

#include <dirent.h>
#include <unistd.h>

#include <cstdlib>
#include <vector>

namespace myrt::runtime {
namespace {
std::vector<int>& inherited() {
    static std::vector<int> fds;
    return fds;
}
}  // namespace

void note_inherited_fds() {
    DIR* d = ::opendir("/proc/self/fd");
    if (!d) return;
    int own = ::dirfd(d);
    while (dirent* e = ::readdir(d)) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
        int fd = std::atoi(e->d_name);
        if (fd >= 3 && fd != own) inherited().push_back(fd);
    }
    ::closedir(d);
}

void close_inherited_fds(int first_not_passed) {
    auto& fds = inherited();
    std::vector<int> kept;
    for (int fd : fds) {
        if (fd >= first_not_passed) ::close(fd);
        else kept.push_back(fd);
    }
    fds = std::move(kept);
}

}  // namespace myrt::runtime
