#pragma once
// Paths inside the container's root. Image paths are untrusted: every open
// resolves with openat2(RESOLVE_IN_ROOT), so ".." and symlinks, absolute ones
// included, cannot lead outside the root.
#include "util/fd.hpp"

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>

namespace myrt::cr::files {

// Opens `path` (absolute or not, taken relative to the root) below `root_fd`.
// Returns an invalid fd with errno set on failure.
UniqueFd open_in_root(int root_fd, std::string_view path, int flags, mode_t mode = 0);

// A checkpoint writes paths as the kernel prints them (readlink of /proc
// links): absolute, with no empty, "." or ".." component. Anything else in an
// image is forged; returns why `path` is not such a path, or nothing.
std::optional<std::string> non_canonical_reason(std::string_view path);

// The root directory as a path the checkpointer's readlink output starts with:
// the target of a /proc/PID/root link, or the canonical form of a plain path.
std::string root_prefix(const std::string& root);

// `link` (a readlink result) relative to the root prefix, always starting with '/'.
std::string path_below(const std::string& link, const std::string& prefix);

}  // namespace myrt::cr::files
