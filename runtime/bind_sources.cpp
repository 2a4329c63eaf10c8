#include "runtime/bind_sources.hpp"

#include <fcntl.h>
#include <sys/syscall.h>
#include <sys/mount.h>
#include <unistd.h>

namespace myrt::runtime {

BindSources BindSources::open_for(const spec::Config& config) {
    BindSources s;
    s.trees_.resize(config.mounts.size());
    for (size_t i = 0; i < config.mounts.size(); ++i) {
        const spec::Mount& m = config.mounts[i];
        spec::MountFlags o = spec::parse_mount_flags(m.options);
        if (m.type == "cgroup" || m.type == "cgroup2" || (m.type != "bind" && !o.bind())) continue;
        unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | ((o.flags & MS_REC) ? AT_RECURSIVE : 0);
        s.trees_[i] = UniqueFd(static_cast<int>(::syscall(SYS_open_tree, AT_FDCWD, m.source.c_str(), flags)));
    }
    return s;
}

}  // namespace myrt::runtime
