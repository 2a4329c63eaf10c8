// A caller without real root gets the cgroups delegated to it and no others:
// which controllers a config limits, and the refusal when one was not delegated.
#include <unistd.h>

#include <algorithm>

#include "runtime/cgroup/cgroup.hpp"
#include "util/error.hpp"

namespace myrt::cgroup {

namespace {

template <class T>
bool set_nonzero(const std::optional<T>& v) {
    return v && *v != 0;
}

// The v1 hierarchy that has the controller, else the unified one ("" when neither: a controller
// the host does not have is apply()'s to report).
std::string dir_carrying(const Cgroup& cg, const std::string& controller) {
    for (auto& h : cg.v1_hierarchies())
        if (std::find(h.controllers.begin(), h.controllers.end(), controller) != h.controllers.end()) return h.dir;
    return cg.unified_dir();
}

}  // namespace

std::vector<std::string> limited_controllers(const spec::Resources& r) {
    std::vector<std::string> out;
    if (auto& m = r.memory) {
        if (set_nonzero(m->limit) || set_nonzero(m->reservation) || set_nonzero(m->swap) || set_nonzero(m->kernel_tcp) ||
            m->swappiness || (m->disable_oom_killer && *m->disable_oom_killer))
            out.push_back("memory");
    }
    if (auto& c = r.cpu) {
        if (set_nonzero(c->shares) || set_nonzero(c->quota) || set_nonzero(c->burst) || set_nonzero(c->period) ||
            set_nonzero(c->realtime_runtime) || set_nonzero(c->realtime_period) || set_nonzero(c->idle))
            out.push_back("cpu");
        if (!c->cpus.empty() || !c->mems.empty()) out.push_back("cpuset");
    }
    if (r.pids) out.push_back("pids");
    if (auto& b = r.block_io) {
        if (set_nonzero(b->weight) || set_nonzero(b->leaf_weight) || !b->weight_device.empty() ||
            !b->throttle_read_bps_device.empty() || !b->throttle_write_bps_device.empty() ||
            !b->throttle_read_iops_device.empty() || !b->throttle_write_iops_device.empty())
            out.push_back("blkio");
    }
    if (!r.hugepage_limits.empty()) out.push_back("hugetlb");
    if (!r.unified.empty()) out.push_back("unified");
    return out;
}

void check_limits_settable(const Cgroup& planned, const std::map<std::string, std::string>& left_out,
                           const spec::Resources& r) {
    if (left_out.empty()) return;
    for (auto& controller : limited_controllers(r)) {
        auto it = left_out.find(dir_carrying(planned, controller));
        if (it == left_out.end()) continue;
        fail("linux.resources sets {} limits, but uid {} may not create the container's cgroup there ({}): a caller "
             "without root can only set limits in a cgroup delegated to it (set linux.cgroupsPath inside it), "
             "or run with no {} limits",
             controller, ::geteuid(), it->second, controller);
    }
}

}  // namespace myrt::cgroup
