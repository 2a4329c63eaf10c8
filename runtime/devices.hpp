#pragma once
// Device nodes in the container's /dev: the OCI default set plus
// linux.devices, created with mknod, or bind-mounted from the host inside a
// user namespace where mknod is not allowed.
#include <string>
#include <vector>

#include "spec/config.hpp"

namespace myrt::runtime {

const std::vector<spec::Device>& default_devices();
void create_devices(const std::string& rootfs, const std::vector<spec::Device>& extra, bool bind_from_host);
// /dev/fd, /dev/stdin... and /dev/ptmx -> pts/ptmx.
void create_dev_symlinks(const std::string& rootfs);

}  // namespace myrt::runtime
