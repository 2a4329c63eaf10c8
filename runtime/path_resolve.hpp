#pragma once
// Resolves a container path inside the rootfs the way the container would see
// it: symlinks are followed relative to the rootfs and ".." never climbs out,
// so a hostile rootfs cannot redirect a mount onto the host.
#include <string>

namespace myrt::runtime {

// Returns the host path of `path` (absolute or relative to the root) under `root`.
std::string resolve_in_root(const std::string& root, const std::string& path);

}  // namespace myrt::runtime
