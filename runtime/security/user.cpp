// Switches the calling process to the container's user and groups.
#include "runtime/security/user.hpp"

#include <fcntl.h>
#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/log.hpp"

namespace myrt::security {
namespace {

// In a user namespace whose gid map was written without CAP_SETGID in the parent, the kernel
// forbids setgroups forever and says so in /proc/self/setgroups.
bool setgroups_denied() {
    UniqueFd fd(::open("/proc/self/setgroups", O_RDONLY | O_CLOEXEC));
    if (!fd) return false;
    char buf[16] = {};
    ssize_t n = ::read(fd.get(), buf, sizeof(buf) - 1);
    return n > 0 && std::string_view(buf, static_cast<size_t>(n)).starts_with("deny");
}

std::string list(const std::vector<uint32_t>& ids) {
    std::string out;
    for (auto id : ids) out += (out.empty() ? "" : ",") + std::to_string(id);
    return out;
}

}  // namespace

void switch_user(const spec::User& u) {
    if (u.umask && *u.umask > 0777) fail("process.user.umask {:o} is not a file mode", *u.umask);
    if (setgroups_denied()) {
        if (!u.additional_gids.empty())
            log::warn("cannot set additional gids {}: setgroups is denied in this user namespace",
                      list(u.additional_gids));
    } else {
        std::vector<gid_t> groups(u.additional_gids.begin(), u.additional_gids.end());
        check(::setgroups(groups.size(), groups.data()), "setgroups to additional gids [{}]", list(u.additional_gids));
    }
    // gid first: after the uid leaves root there is no CAP_SETGID left to change it.
    check(::setresgid(u.gid, u.gid, u.gid), "setresgid to gid {}", u.gid);
    check(::setresuid(u.uid, u.uid, u.uid), "setresuid to uid {}", u.uid);
    if (u.umask) ::umask(static_cast<mode_t>(*u.umask));
}

}  // namespace myrt::security
