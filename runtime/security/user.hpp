#pragma once
// The container process's user: switching ids, and resolving `exec --user` against the rootfs.
#include <string>

#include "spec/config.hpp"

namespace myrt::security {

// setgroups(additionalGids) (skipped when /proc/self/setgroups says "deny" in a user namespace;
// an empty list clears the runtime's own groups), setresgid, setresuid, then umask if set.
// Call keep_caps_before_setuid() first when capabilities must survive the uid change.
// Errors name the id that could not be set.
void switch_user(const spec::User& u);

// Looks up "name", "uid", "name:group" or "uid:gid" for `exec --user` in ROOTFS/etc/passwd and
// ROOTFS/etc/group (opened inside the rootfs, so symlinks cannot escape it). Numbers are taken as
// they are, even without an entry; a name without an entry is an error. Without an explicit group
// the primary gid comes from passwd (0 if the uid has no entry) and the groups that list the user
// become additional gids, as runc does.
spec::User resolve_user(const std::string& rootfs, const std::string& user_spec);

// The home directory of UID in ROOTFS/etc/passwd (read inside the rootfs), or "/" when the uid has
// no entry or the file is missing: the HOME a process gets when its env sets none, as in runc.
std::string home_directory(const std::string& rootfs, uint32_t uid);

}  // namespace myrt::security
