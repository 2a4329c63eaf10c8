#pragma once
// The container's filesystem view, built inside its new mount namespace:
// mounts from config.json, device nodes, pivot_root, then masked and
// read-only paths and a read-only root.
#include <string>

#include "spec/config.hpp"

namespace myrt::cgroup {
class Cgroup;
}

namespace myrt::runtime {

class BindSources;

struct RootfsPlan {
    const spec::Config* config = nullptr;
    std::string rootfs;          // absolute host path
    bool own_mount_ns = true;    // false: the runtime's mount namespace is shared
    bool new_user_ns = false;
    bool new_net_ns = false;
    bool new_ipc_ns = false;
    bool new_cgroup_ns = false;
    bool no_pivot = false;
    const cgroup::Cgroup* cgroup = nullptr;
    const BindSources* bind_sources = nullptr;  // opened on the host side (user-namespace containers), or null
};

// Before pivot_root: root propagation, the rootfs bind, every mount, devices.
void prepare_rootfs(const RootfsPlan& plan);
// pivot_root(2) into the rootfs (or MS_MOVE + chroot with --no-pivot, or a
// plain chroot without a mount namespace of its own).
void enter_rootfs(const RootfsPlan& plan);
// After pivot_root and sysctls: readonly paths, masked paths, read-only root,
// then a shared or unbindable rootfsPropagation on the container's own root.
void finalize_rootfs(const RootfsPlan& plan);

}  // namespace myrt::runtime
