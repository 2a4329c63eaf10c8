// Writing linux.resources: dispatch by where each controller lives, and the v1 files.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "runtime/cgroup/cgroup.hpp"
#include "runtime/cgroup/cgroupfs.hpp"
#include "runtime/cgroup/devices.hpp"
#include "runtime/cgroup/resources.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace myrt::cgroup {

namespace {

std::string v1_int(int64_t v) { return std::to_string(v); }

// EBUSY from a memory limit means the cgroup already uses more than the new limit.
void write_memory_limit(const std::string& dir, const std::string& file, int64_t value) {
    try {
        fs::write(dir, file, v1_int(value));
    } catch (const SystemError& e) {
        if (e.code() != EBUSY) throw;
        throw SystemError(EBUSY, fmt::format("cannot set {}/{} to {}: the cgroup already uses more memory than that",
                                             dir, file, value));
    }
}

void apply_memory_v1(const std::string& dir, const spec::MemoryResources& m) {
    bool has_memsw = fs::exists(dir, "memory.memsw.limit_in_bytes");
    std::optional<int64_t> swap = m.swap;
    // Unlimited memory with swap unset lifts memory+swap too (as runc does): a
    // memsw limit kept from before would sit below it, which the kernel refuses.
    if (m.limit && *m.limit == -1 && swap.value_or(0) == 0 && has_memsw) swap = -1;
    if (swap && *swap != 0 && !has_memsw && *swap != -1)
        fail("linux.resources.memory.swap {} cannot be applied: {} has no memory.memsw.limit_in_bytes (swap accounting is off)",
             *swap, dir);
    // Checked before anything is written, so a refused update changes nothing.
    if (swap && *swap > 0 && m.limit && (*m.limit == -1 || *m.limit > *swap))
        fail("cannot set {}/memory.memsw.limit_in_bytes to {}: linux.resources.memory.swap must be at least "
             "memory.limit {} (it counts memory plus swap)",
             dir, *swap, *m.limit == -1 ? std::string("-1 (unlimited)") : std::to_string(*m.limit));
    // memsw must stay >= limit at every step, so the order depends on the direction of the change.
    bool swap_first = false;
    if (swap && *swap != 0 && has_memsw) {
        int64_t current_memsw = fs::read_int(dir, "memory.memsw.limit_in_bytes");
        int64_t new_limit = m.limit.value_or(fs::read_int(dir, "memory.limit_in_bytes"));
        swap_first = *swap == -1 || (current_memsw != -1 && (new_limit == -1 || new_limit > current_memsw));
    }
    auto write_swap = [&] {
        if (swap && *swap != 0 && has_memsw) write_memory_limit(dir, "memory.memsw.limit_in_bytes", *swap);
    };
    if (swap_first) write_swap();
    if (m.limit && *m.limit != 0) write_memory_limit(dir, "memory.limit_in_bytes", *m.limit);
    if (!swap_first) write_swap();
    if (m.reservation && *m.reservation != 0) fs::write(dir, "memory.soft_limit_in_bytes", v1_int(*m.reservation));
    // Kernel memory limits are deprecated (ignored since 5.x, rejected on some kernels).
    if (m.kernel && *m.kernel != 0) log::warn("linux.resources.memory.kernel is deprecated by the kernel and ignored");
    if (m.kernel_tcp && *m.kernel_tcp != 0) fs::write(dir, "memory.kmem.tcp.limit_in_bytes", v1_int(*m.kernel_tcp));
    if (m.swappiness) {
        if (*m.swappiness > 100) fail("linux.resources.memory.swappiness {} is outside 0..100", *m.swappiness);
        fs::write(dir, "memory.swappiness", std::to_string(*m.swappiness));
    }
    if (m.disable_oom_killer && *m.disable_oom_killer) fs::write(dir, "memory.oom_control", "1");
}

// A v1 cpu cgroup can hold realtime runtime only within its parent's share
// (runtime/period, summed over siblings), and a new cgroup starts with none:
// the intermediate cgroups between the hierarchy's root and the container's
// (myrt's own parent, a cgroupsPath's directories) are raised to what the
// container's request and their other children need, no more, so
// realtimeRuntime works under any cgroupsPath and leaves the rest to the host.
long double rt_share(const std::string& d) {
    int64_t runtime = fs::read_int(d, "cpu.rt_runtime_us");
    return runtime < 0 ? 1.0L : static_cast<long double>(runtime) / fs::read_int(d, "cpu.rt_period_us");
}

void grant_rt_budget_to_ancestors(const std::string& dir, int64_t runtime, uint64_t period) {
    struct Need {
        std::string dir;
        long double share;
    };
    std::vector<Need> needs;  // nearest ancestor first, the hierarchy's root (release_agent) excluded
    long double share = static_cast<long double>(runtime) / period;
    std::string child = dir;
    for (;;) {
        auto slash = child.rfind('/');
        if (slash == std::string::npos || slash == 0) break;
        std::string a = child.substr(0, slash);
        if (fs::exists(a, "release_agent") || !fs::exists(a, "cpu.rt_runtime_us")) break;
        std::error_code ec;
        for (const auto& e : std::filesystem::directory_iterator(a, ec))
            if (e.is_directory() && e.path() != child && fs::exists(e.path(), "cpu.rt_runtime_us")) share += rt_share(e.path());
        needs.push_back({a, share});
        child = a;
    }
    for (auto it = needs.rbegin(); it != needs.rend(); ++it) {
        int64_t have = fs::read_int(it->dir, "cpu.rt_runtime_us");
        int64_t a_period = fs::read_int(it->dir, "cpu.rt_period_us");
        auto want = static_cast<int64_t>(std::ceil(it->share * a_period));
        if (have < 0 || have >= want) continue;
        try {
            fs::write(it->dir, "cpu.rt_runtime_us", std::to_string(want));
        } catch (const SystemError& e) {
            fail("linux.resources.cpu.realtimeRuntime {}: the ancestor cgroup {} needs {} us of realtime runtime per {} us "
                 "for it and its other children, and its parent cannot give it: {}",
                 runtime, it->dir, want, a_period, e.what());
        }
    }
}

void apply_cpu_v1(const std::string& dir, const spec::CpuResources& c) {
    if (c.shares && *c.shares != 0) {
        fs::write(dir, "cpu.shares", std::to_string(*c.shares));
        // The kernel clamps silently to [2, 262144]; a clamped value is a config error.
        auto got = static_cast<uint64_t>(fs::read_int(dir, "cpu.shares"));
        if (got != *c.shares)
            fail("linux.resources.cpu.shares {} is out of the kernel's range: {}/cpu.shares reads back {}", *c.shares, dir, got);
    }
    if (c.period && *c.period != 0) {
        try {
            fs::write(dir, "cpu.cfs_period_us", std::to_string(*c.period));
        } catch (const SystemError& e) {
            // A shorter period than the current quota allows is refused: set the quota first.
            if (e.code() != EINVAL || !c.quota) throw;
            fs::write(dir, "cpu.cfs_quota_us", v1_int(*c.quota));
            fs::write(dir, "cpu.cfs_period_us", std::to_string(*c.period));
        }
    }
    if (c.quota && *c.quota != 0) fs::write(dir, "cpu.cfs_quota_us", v1_int(*c.quota));
    if (c.burst) fs::write(dir, "cpu.cfs_burst_us", std::to_string(*c.burst));
    bool new_period = c.realtime_period && *c.realtime_period != 0;
    if (new_period || (c.realtime_runtime && *c.realtime_runtime > 0)) {
        // The ancestors first, for the larger share this cgroup holds on the
        // way: the old runtime in the new period, then the new runtime.
        uint64_t period = new_period ? *c.realtime_period : static_cast<uint64_t>(fs::read_int(dir, "cpu.rt_period_us"));
        int64_t runtime = std::max<int64_t>(fs::read_int(dir, "cpu.rt_runtime_us"), c.realtime_runtime.value_or(0));
        if (runtime > 0) grant_rt_budget_to_ancestors(dir, runtime, period);
    }
    // rt_period before rt_runtime: the runtime must fit in the period.
    if (new_period) fs::write(dir, "cpu.rt_period_us", std::to_string(*c.realtime_period));
    if (c.realtime_runtime && *c.realtime_runtime != 0) fs::write(dir, "cpu.rt_runtime_us", v1_int(*c.realtime_runtime));
    if (c.idle) fs::write(dir, "cpu.idle", v1_int(*c.idle));
}


void apply_blkio_v1(const std::string& dir, const spec::BlockIoResources& b) {
    // Kernels without CFQ only have the BFQ files, which take the same [10, 1000] weights.
    bool plain = fs::exists(dir, "blkio.weight");
    std::string weight_file = plain ? "blkio.weight" : "blkio.bfq.weight";
    std::string weight_device_file = plain ? "blkio.weight_device" : "blkio.bfq.weight_device";
    // Weights exist only with a proportional scheduler (CFQ, or BFQ on a disk that uses it).
    bool wants_weight = (b.weight && *b.weight != 0) ||
                        std::any_of(b.weight_device.begin(), b.weight_device.end(), [](auto& d) { return d.weight.has_value(); });
    if (wants_weight && !plain && !fs::exists(dir, "blkio.bfq.weight"))
        fail("linux.resources.blockIO weights cannot be set on this host: {} has neither blkio.weight nor "
             "blkio.bfq.weight (no disk uses the BFQ I/O scheduler)", dir);
    if (b.weight && *b.weight != 0) fs::write(dir, weight_file, std::to_string(*b.weight));
    if (b.leaf_weight && *b.leaf_weight != 0) {
        if (fs::exists(dir, "blkio.leaf_weight")) fs::write(dir, "blkio.leaf_weight", std::to_string(*b.leaf_weight));
        else log::warn("linux.resources.blockIO.leafWeight ignored: this kernel has no blkio.leaf_weight");
    }
    for (auto& d : b.weight_device) {
        if (d.weight) fs::write(dir, weight_device_file, fmt::format("{}:{} {}", d.major, d.minor, *d.weight));
        if (d.leaf_weight && fs::exists(dir, "blkio.leaf_weight_device"))
            fs::write(dir, "blkio.leaf_weight_device", fmt::format("{}:{} {}", d.major, d.minor, *d.leaf_weight));
    }
    auto throttle = [&](const std::vector<spec::ThrottleDevice>& list, const char* file) {
        for (auto& d : list) fs::write(dir, file, fmt::format("{}:{} {}", d.major, d.minor, d.rate));
    };
    throttle(b.throttle_read_bps_device, "blkio.throttle.read_bps_device");
    throttle(b.throttle_write_bps_device, "blkio.throttle.write_bps_device");
    throttle(b.throttle_read_iops_device, "blkio.throttle.read_iops_device");
    throttle(b.throttle_write_iops_device, "blkio.throttle.write_iops_device");
}

void apply_devices_v1(const std::string& dir, const std::vector<spec::DeviceCgroupRule>& rules) {
    // Written in order, as the rules say: a leading "deny all" resets to an empty whitelist.
    for (size_t i = 0; i < rules.size(); ++i)
        fs::write(dir, rules[i].allow ? "devices.allow" : "devices.deny", device_rule_string(rules[i], i));
}

}  // namespace

// cpuset and pids files have the same names and syntax in v1 and v2.
void apply_cpuset_files(const std::string& dir, const spec::CpuResources& c) {
    if (!c.cpus.empty()) fs::write(dir, "cpuset.cpus", c.cpus);
    if (!c.mems.empty()) fs::write(dir, "cpuset.mems", c.mems);
}

void apply_pids_files(const std::string& dir, const spec::PidsResources& p) {
    // runc's reading: negative is no limit, and 0 is 1 (systemd's TasksMax cannot be 0, and both
    // cgroup drivers must agree).
    std::string value = p.limit < 0 ? std::string("max") : std::to_string(p.limit == 0 ? 1 : p.limit);
    fs::write(dir, "pids.max", value);
}

void Cgroup::apply(const spec::Resources& r) {
    apply_v1(r);
    apply_v2(r);
    apply_hugetlb(r);
    apply_unified(r);
}

void Cgroup::apply_v1(const spec::Resources& r) {
    if (r.memory)
        if (auto* h = v1_for("memory")) apply_memory_v1(h->dir, *r.memory);
    if (r.cpu) {
        if (auto* h = v1_for("cpu")) apply_cpu_v1(h->dir, *r.cpu);
        if (auto* h = v1_for("cpuset")) apply_cpuset_files(h->dir, *r.cpu);
    }
    if (r.pids)
        if (auto* h = v1_for("pids")) apply_pids_files(h->dir, *r.pids);
    if (r.block_io)
        if (auto* h = v1_for("blkio")) apply_blkio_v1(h->dir, *r.block_io);
    if (!r.devices.empty())
        if (auto* h = v1_for("devices")) {
            // The rules are rewritten from "deny all", so a running container would see a moment
            // without its devices; frozen, it cannot notice (runc freezes for the same reason).
            bool froze = false;
            if (!pids().empty() && freezer_state() == FreezerState::thawed) {
                try {
                    freeze();
                    froze = true;
                } catch (const Error& e) {
                    log::warn("updating the device rules of {} without freezing it: {}", path_, e.what());
                }
            }
            try {
                apply_devices_v1(h->dir, r.devices);
            } catch (...) {
                if (froze) thaw();
                throw;
            }
            if (froze) thaw();
        }
}

}  // namespace myrt::cgroup
