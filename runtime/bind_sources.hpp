#pragma once
// Bind-mount sources opened by the runtime on the host side, before the
// container's init enters its user namespace: as detached mount trees
// (open_tree OPEN_TREE_CLONE), which the init attaches with move_mount. The
// root of a user namespace need not be able to reach a source (a directory
// only host root can traverse) for the mount to be made, as with runc.
#include <cstddef>
#include <vector>

#include "spec/config.hpp"
#include "spec/mount_options.hpp"
#include "util/fd.hpp"

namespace myrt::runtime {

class BindSources {
public:
    BindSources() = default;
    // One tree per bind mount of `config.mounts` (recursive for rbind); a
    // source that cannot be opened this way is left to the init's own mount,
    // which reports the error with the path. Call after chdir to the bundle
    // (relative sources are bundle-relative) and before clone.
    static BindSources open_for(const spec::Config& config);

    // The detached tree for mounts[index], or -1.
    int tree_for(size_t index) const { return index < trees_.size() ? trees_[index].get() : -1; }

private:
    std::vector<UniqueFd> trees_;
};

}  // namespace myrt::runtime
