// Writing linux.resources to the unified hierarchy, for every controller v1 does not hold
// (all of them on a pure v2 host; hugetlb and the like on a hybrid one).
#include <algorithm>

#include "runtime/cgroup/cgroup.hpp"
#include "runtime/cgroup/cgroupfs.hpp"
#include "runtime/cgroup/devices.hpp"
#include "runtime/cgroup/resources.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace myrt::cgroup {

namespace {

std::string v2_int(int64_t v) { return v < 0 ? std::string("max") : std::to_string(v); }

void write_memory_max(const std::string& dir, const std::string& file, int64_t value) {
    try {
        fs::write(dir, file, v2_int(value));
    } catch (const SystemError& e) {
        if (e.code() != EBUSY) throw;
        throw SystemError(EBUSY, fmt::format("cannot set {}/{} to {}: the cgroup already uses more memory than that",
                                             dir, file, value));
    }
}

void apply_memory_v2(const std::string& dir, const spec::MemoryResources& m) {
    int64_t limit = m.limit.value_or(0);
    if (m.swap || limit == -1) {
        int64_t swap = memory_swap_to_v2(m.swap.value_or(0), limit);
        // swap == limit converts to 0, which here means "no swap", not "unset".
        bool disable_swap = swap == 0 && m.swap.value_or(0) > 0;
        if (swap != 0 || disable_swap) {
            if (fs::exists(dir, "memory.swap.max")) fs::write(dir, "memory.swap.max", v2_int(swap));
            else if (swap != -1)
                fail("linux.resources.memory.swap cannot be applied: {} has no memory.swap.max (swap accounting is off)", dir);
        }
    }
    if (limit != 0) write_memory_max(dir, "memory.max", limit);
    if (m.reservation && *m.reservation != 0) fs::write(dir, "memory.low", v2_int(*m.reservation));
    if (m.kernel && *m.kernel != 0) log::warn("linux.resources.memory.kernel has no cgroup v2 equivalent; ignored");
    if (m.kernel_tcp && *m.kernel_tcp != 0) log::warn("linux.resources.memory.kernelTCP has no cgroup v2 equivalent; ignored");
    if (m.swappiness && *m.swappiness != 0 && *m.swappiness != 60)
        log::warn("linux.resources.memory.swappiness has no per-cgroup equivalent in cgroup v2; ignored");
    if (m.disable_oom_killer && *m.disable_oom_killer)
        log::warn("linux.resources.memory.disableOOMKiller has no cgroup v2 equivalent; ignored");
}

void apply_cpu_v2(const std::string& dir, const spec::CpuResources& c) {
    if ((c.realtime_period && *c.realtime_period != 0) || (c.realtime_runtime && *c.realtime_runtime != 0))
        fail("linux.resources.cpu.realtimePeriod/realtimeRuntime need the cgroup v1 cpu controller; cgroup v2 has no equivalent");
    if (c.shares && *c.shares != 0) {
        if (*c.shares < 2 || *c.shares > 262144) fail("linux.resources.cpu.shares {} is outside 2..262144", *c.shares);
        fs::write(dir, "cpu.weight", std::to_string(cpu_shares_to_weight(*c.shares)));
    }
    int64_t quota = c.quota.value_or(0);
    uint64_t period = c.period.value_or(0);
    if (quota != 0 || period != 0) {
        // cpu.max is "QUOTA PERIOD"; a missing period keeps the kernel's current one.
        std::string value = quota > 0 ? std::to_string(quota) : "max";
        if (period != 0) value += " " + std::to_string(period);
        fs::write(dir, "cpu.max", value);
    }
    if (c.burst) fs::write(dir, "cpu.max.burst", std::to_string(*c.burst));
    if (c.idle) fs::write(dir, "cpu.idle", std::to_string(*c.idle));
}

void apply_io_v2(const std::string& dir, const spec::BlockIoResources& b) {
    // BFQ takes the blkio scale [10, 1000] as is; io.weight needs the conversion.
    bool bfq = fs::exists(dir, "io.bfq.weight");
    if (b.weight && *b.weight != 0) {
        if (bfq) fs::write(dir, "io.bfq.weight", std::to_string(*b.weight));
        else fs::write(dir, "io.weight", "default " + std::to_string(blkio_weight_to_io_weight(*b.weight)));
    }
    if (b.leaf_weight && *b.leaf_weight != 0) log::warn("linux.resources.blockIO.leafWeight has no cgroup v2 equivalent; ignored");
    for (auto& d : b.weight_device) {
        if (!d.weight) continue;
        if (bfq) fs::write(dir, "io.bfq.weight", fmt::format("{}:{} {}", d.major, d.minor, *d.weight));
        else fs::write(dir, "io.weight", fmt::format("{}:{} {}", d.major, d.minor, blkio_weight_to_io_weight(*d.weight)));
    }
    auto throttle = [&](const std::vector<spec::ThrottleDevice>& list, const char* key) {
        for (auto& d : list)
            fs::write(dir, "io.max", fmt::format("{}:{} {}={}", d.major, d.minor, key, d.rate == 0 ? std::string("max") : std::to_string(d.rate)));
    };
    throttle(b.throttle_read_bps_device, "rbps");
    throttle(b.throttle_write_bps_device, "wbps");
    throttle(b.throttle_read_iops_device, "riops");
    throttle(b.throttle_write_iops_device, "wiops");
}

}  // namespace

void Cgroup::apply_v2(const spec::Resources& r) {
    auto need = [&](const char* controller, const char* what) -> const std::string& {
        if (!v2_has(controller))
            fail("linux.resources.{} cannot be applied: the {} controller is not available on this host", what, controller);
        return unified_.dir;
    };
    if (r.memory && !v1_for("memory")) apply_memory_v2(need("memory", "memory"), *r.memory);
    if (r.cpu) {
        const auto& c = *r.cpu;
        bool cpu_set = (c.shares && *c.shares) || (c.quota && *c.quota) || (c.period && *c.period) || c.burst || c.idle ||
                       (c.realtime_period && *c.realtime_period) || (c.realtime_runtime && *c.realtime_runtime);
        if (cpu_set && !v1_for("cpu")) apply_cpu_v2(need("cpu", "cpu"), c);
        if ((!c.cpus.empty() || !c.mems.empty()) && !v1_for("cpuset")) apply_cpuset_files(need("cpuset", "cpu.cpus/mems"), c);
    }
    if (r.pids && !v1_for("pids")) apply_pids_files(need("pids", "pids"), *r.pids);
    if (r.block_io && !v1_for("blkio")) {
        const auto& b = *r.block_io;
        bool any = (b.weight && *b.weight) || !b.weight_device.empty() || !b.throttle_read_bps_device.empty() ||
                   !b.throttle_write_bps_device.empty() || !b.throttle_read_iops_device.empty() ||
                   !b.throttle_write_iops_device.empty();
        if (any) apply_io_v2(need("io", "blockIO"), b);
    }
    if (!r.devices.empty() && !v1_for("devices")) {
        if (unified_.dir.empty()) fail("linux.resources.devices cannot be applied: no devices controller and no cgroup v2 hierarchy");
        attach_device_filter(unified_.dir, r.devices);
    }
}

// hugetlb.<size>.limit_in_bytes in v1, hugetlb.<size>.max in v2 (where it lives on hybrid hosts).
void Cgroup::apply_hugetlb(const spec::Resources& r) {
    for (auto& h : r.hugepage_limits) {
        if (h.page_size.empty() || h.page_size.find('/') != std::string::npos || h.page_size.find("..") != std::string::npos)
            fail("linux.resources.hugepageLimits pageSize \"{}\" is not a page size such as 2MB", h.page_size);
        std::string dir, file;
        if (auto* v1 = v1_for("hugetlb")) {
            dir = v1->dir;
            file = "hugetlb." + h.page_size + ".limit_in_bytes";
        } else if (v2_has("hugetlb")) {
            dir = unified_.dir;
            file = "hugetlb." + h.page_size + ".max";
        } else {
            fail("linux.resources.hugepageLimits cannot be applied: the hugetlb controller is not available on this host");
        }
        if (!fs::exists(dir, file))
            fail("linux.resources.hugepageLimits pageSize \"{}\" is not supported here: {} does not exist", h.page_size, fs::join(dir, file));
        fs::write(dir, file, std::to_string(h.limit));
    }
}

void Cgroup::apply_unified(const spec::Resources& r) {
    if (r.unified.empty()) return;
    if (unified_.dir.empty()) fail("invalid configuration: linux.resources.unified needs cgroup v2, but this host has only cgroup v1");
    for (auto& [key, value] : r.unified) {
        if (key.empty() || key.find('/') != std::string::npos || key == "." || key == ".." || key.find("..") != std::string::npos)
            fail("linux.resources.unified key \"{}\" must be a plain cgroup file name", key);
        auto dot = key.find('.');
        if (dot == std::string::npos) fail("linux.resources.unified key \"{}\" is not a cgroup file name (CONTROLLER.FILE)", key);
        std::string controller = key.substr(0, dot);
        if (!fs::exists(unified_.dir, key)) {
            if (controller != "cgroup" && !v2_has(controller))
                // "invalid configuration" leads, as runc's refusal of unified on cgroup v1 does.
                fail("invalid configuration: linux.resources.unified key \"{}\": the {} controller is not available "
                     "in the cgroup v2 hierarchy {}", key, controller, unified_.mount_point);
            fail("linux.resources.unified key \"{}\": {} does not exist", key, fs::join(unified_.dir, key));
        }
        fs::write(unified_.dir, key, value);
    }
}

}  // namespace myrt::cgroup
