#pragma once
// Resolves a container path inside the rootfs the way the container would see
// it: symlinks are followed relative to the rootfs and ".." never climbs out,
// so a hostile rootfs cannot redirect a mount onto the host.
#include <string>

#include "util/fd.hpp"

namespace myrt::runtime {

// Returns the host path of `path` (absolute or relative to the root) under `root`.
std::string resolve_in_root(const std::string& root, const std::string& path);

// openat2(RESOLVE_IN_ROOT) of `path` below the directory `root_fd`: the kernel
// keeps every component, symlinks included, inside it. -1 with errno on failure.
UniqueFd open_in_root(int root_fd, const std::string& path, int flags);

}  // namespace myrt::runtime
