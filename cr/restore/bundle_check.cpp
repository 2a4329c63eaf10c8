#include "cr/restore/bundle_check.hpp"

#include <linux/capability.h>
#include <linux/securebits.h>

#include <cstring>
#include <fstream>
#include <tuple>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "cr/files/path_in_root.hpp"
#include "cr/ns/ns_state.hpp"
#include "runtime/security/capabilities.hpp"
#include "runtime/security/seccomp.hpp"
#include "spec/capabilities_table.hpp"
#include "spec/linux_names.hpp"
#include "util/error.hpp"

namespace myrt::cr {
namespace {

int32_t inner_pid(const ProcessState& s) { return s.core.ids.ns_pid[s.core.ids.ns_depth - 1]; }

uint64_t mask_of(const std::vector<std::string>& names) {
    uint64_t m = 0;
    for (auto& n : names)
        if (auto c = security::cap_from_name(n)) m |= 1ull << *c;
    return m;
}

uint64_t bit(int cap) { return 1ull << cap; }

// "CAP_SETUID,CAP_SYS_ADMIN (0x200080)" for messages.
std::string describe_caps(uint64_t mask) {
    if (mask == 0) return "none";
    std::string names;
    for (int c = 0; c < 64; ++c) {
        if (!(mask & bit(c))) continue;
        if (!names.empty()) names += ',';
        names += spec::capability_name(c).value_or(fmt::format("cap{}", c));
    }
    return fmt::format("{} ({:#x})", names, mask);
}

std::string rlimit_name(int resource) {
    for (const auto& n : spec::rlimit_names())
        if (spec::rlimit_resource(n) == resource) return n;
    return fmt::format("rlimit {}", resource);
}

std::string describe_limit(uint64_t v) { return v == RLIM_INFINITY ? "unlimited" : std::to_string(v); }

uint64_t read_sysctl(const char* path, uint64_t fallback) {
    std::ifstream f(path);
    uint64_t v = 0;
    return (f >> v) ? v : fallback;
}

constexpr const char* id_names[4] = {"real", "effective", "saved", "filesystem"};

void check_ids(int32_t pid, const char* kind, const uint32_t (&ids)[4], uint32_t bundle_id, bool may_change,
               const char* cap) {
    if (may_change) return;
    for (int i = 0; i < 4; ++i)
        if (ids[i] != bundle_id)
            fail("process {} of the image: its {} {} {} is not the bundle's {} {}, and the bundle's process has no {} "
                 "in its permitted and effective sets to change it",
                 pid, id_names[i], kind, ids[i], kind, bundle_id, cap);
}

void check_caps(int32_t pid, const CredsRecord& c, const BundleGrants& g) {
    // An execve as uid 0 makes the bounding and inheritable sets permitted and effective.
    const uint64_t as_root = g.can_be_root() ? g.bounding | g.inheritable : 0;
    const uint64_t permitted = g.permitted | as_root;
    // capset may add to the inheritable set what is permitted and in the
    // bounding set; with CAP_SETPCAP, anything of the bounding set.
    const uint64_t inheritable = g.inheritable | (g.bounding & (g.has(CAP_SETPCAP) ? ~0ull : permitted));
    struct Set {
        const char* name;
        uint64_t image, bundle, reachable;
    } sets[] = {
        {"bounding", c.cap_bounding, g.bounding, g.bounding},
        {"permitted", c.cap_permitted, g.permitted, permitted},
        {"effective", c.cap_effective, g.effective, g.effective | as_root},
        {"inheritable", c.cap_inheritable, g.inheritable, inheritable},
        // PR_CAP_AMBIENT_RAISE takes what is both permitted and inheritable.
        {"ambient", c.cap_ambient, g.ambient, g.ambient | (permitted & inheritable)},
    };
    for (auto& s : sets)
        if (s.image & ~s.reachable)
            fail("process {} of the image has {} capabilities {} beyond the bundle's {} set {}", pid, s.name,
                 describe_caps(s.image & ~s.reachable), s.name, describe_caps(s.bundle));
}

void check_securebits(int32_t pid, uint32_t bits, const BundleGrants& g) {
    // PR_SET_KEEPCAPS needs nothing; every other bit needs CAP_SETPCAP.
    const uint32_t allowed = g.has(CAP_SETPCAP) ? ~0u : static_cast<uint32_t>(SECBIT_KEEP_CAPS);
    if (bits & ~allowed)
        fail("process {} of the image has securebits {:#x}, but the bundle's process starts with none and can set "
             "only {:#x} (no CAP_SETPCAP in its permitted and effective sets)",
             pid, bits, allowed);
}

void check_rlimits(int32_t pid, const ProcessCoreRecord& core, const BundleGrants& g) {
    for (int r = 0; r < kNumRlimits && r < static_cast<int>(g.rlimits.size()); ++r) {
        const auto& want = core.rlimits[r];
        const uint64_t hard = g.rlimits[static_cast<size_t>(r)].rlim_max;
        if (want.cur > want.max)
            fail("process {} of the image: its {} soft limit {} is above its hard limit {}", pid, rlimit_name(r),
                 describe_limit(want.cur), describe_limit(want.max));
        if (g.has(CAP_SYS_RESOURCE)) continue;
        // Soft limits may be raised up to the hard one (Go does so for
        // RLIMIT_NOFILE at start), hard limits only with CAP_SYS_RESOURCE.
        if (want.max > hard)
            fail("process {} of the image: its {} hard limit {} is above the bundle's {} (raising a hard limit needs "
                 "CAP_SYS_RESOURCE, which the bundle's process lacks)",
                 pid, rlimit_name(r), describe_limit(want.max), describe_limit(hard));
    }
}

void check_memory(int32_t pid, const ProcessState& p, const BundleGrants& g, const HostLimits& host) {
    uint64_t locked = 0;
    for (const auto& v : p.vmas) {
        if (v.rec.kind == VmaKind::vsyscall) continue;  // the kernel's own, never mapped by restore
        if (v.rec.start < host.mmap_min_addr && !g.has(CAP_SYS_RAWIO))
            fail("process {} of the image maps {:#x}-{:#x}, below vm.mmap_min_addr {:#x} (mapping there needs "
                 "CAP_SYS_RAWIO, which the bundle's process lacks)",
                 pid, v.rec.start, v.rec.end, host.mmap_min_addr);
        if (v.rec.vm_flags & vm_locked) locked += v.size();
    }
    const uint64_t limit = p.core.rlimits[RLIMIT_MEMLOCK].cur;
    if (locked > limit && !g.has(CAP_IPC_LOCK))
        fail("process {} of the image has {} bytes of mlocked memory, beyond its RLIMIT_MEMLOCK of {} (the bundle "
             "allows at most {}; locking more needs CAP_IPC_LOCK, which the bundle's process lacks)",
             pid, locked, describe_limit(limit), describe_limit(g.rlimits[RLIMIT_MEMLOCK].rlim_max));
}

// The paths of the process section, as a checkpoint writes them (readlink of
// /proc links): a forged "..", a relative path or "//" is refused before any
// lookup, wherever it would resolve.
void check_paths(int32_t pid, const ProcessState& p) {
    auto check_one = [&](const std::string& path, const std::string& what) {
        if (auto why = files::non_canonical_reason(path))
            fail("process {} of the image: its {} {} is not a path a checkpoint writes: {}", pid, what, path, *why);
    };
    check_one(p.cwd, "working directory");
    if (!p.root.empty()) check_one(p.root, "root");
    for (const auto& v : p.vmas)
        if (v.is_file() && !v.rec.deleted) check_one(v.path, fmt::format("mapping at {:#x}", v.rec.start));
}

}  // namespace

bool BundleGrants::can_be_root() const { return uid == 0 || has(CAP_SETUID); }

BundleGrants bundle_grants(const spec::Config& config, const std::array<rlimit, 16>& myrt_limits,
                           uint64_t myrt_bounding, uint64_t myrt_inheritable) {
    BundleGrants g;
    g.rlimits = myrt_limits;
    if (config.linux.resources && config.linux.resources->pids) g.pids_limit = config.linux.resources->pids->limit;
    if (!config.process) return g;
    const auto& proc = *config.process;
    g.uid = proc.user.uid;
    g.gid = proc.user.gid;
    g.groups.insert(proc.user.additional_gids.begin(), proc.user.additional_gids.end());
    g.no_new_privs = proc.no_new_privileges;
    for (const auto& r : proc.rlimits)
        if (auto res = spec::rlimit_resource(r.type); res && *res >= 0 && *res < static_cast<int>(g.rlimits.size()))
            g.rlimits[static_cast<size_t>(*res)] = rlimit{r.soft, r.hard};
    if (proc.capabilities) {
        const auto& caps = *proc.capabilities;
        g.bounding = mask_of(caps.bounding);
        g.effective = mask_of(caps.effective);
        g.permitted = mask_of(caps.permitted);
        g.inheritable = mask_of(caps.inheritable);
        // The kernel raises an ambient capability only when it is permitted and inheritable.
        g.ambient = mask_of(caps.ambient) & g.permitted & g.inheritable;
    } else {
        // myrt's own sets go on: whole for root, while setresuid away from
        // uid 0 (without keep-caps) empties the permitted and effective sets.
        g.bounding = myrt_bounding;
        g.inheritable = myrt_inheritable;
        if (g.uid == 0) g.effective = g.permitted = myrt_bounding;
    }
    return g;
}

BundleGrants bundle_grants(const spec::Config& config) {
    std::array<rlimit, 16> limits{};
    for (int r = 0; r < static_cast<int>(limits.size()); ++r)
        if (::getrlimit(static_cast<__rlimit_resource>(r), &limits[static_cast<size_t>(r)]) != 0)
            throw_errno("getrlimit({})", r);
    auto own = security::read_capabilities(0);
    return bundle_grants(config, limits, own.bounding, own.inheritable);
}

HostLimits read_host_limits() {
    HostLimits h;
    h.mmap_min_addr = read_sysctl("/proc/sys/vm/mmap_min_addr", h.mmap_min_addr);
    return h;
}

void check_image_against_bundle(const ImageIndex& idx, const spec::Config& config) {
    check_image_against_bundle(idx, config, bundle_grants(config), read_host_limits());
}

void check_image_against_bundle(const ImageIndex& idx, const spec::Config& config, const BundleGrants& g,
                                const HostLimits& host) {
    constexpr uint32_t compared = ns::ns_pid | ns::ns_mnt | ns::ns_uts | ns::ns_ipc | ns::ns_net | ns::ns_cgroup |
                                  ns::ns_user | ns::ns_time;
    uint32_t bundle_ns = 0;
    for (auto& n : config.linux.namespaces)
        if (n.path.empty()) bundle_ns |= ns::flag_of_oci_type(n.type);
    if ((bundle_ns & compared) != (idx.ns.flags & compared))
        fail("the bundle does not match the image: the image's container had its own {} namespaces, the bundle "
             "creates {}",
             ns::describe_flags(idx.ns.flags & compared), ns::describe_flags(bundle_ns & compared));
    // The ids of the image are the container's own (its tasks' credentials are
    // checked as the container saw them, below); the owners of what it made
    // (tmpfs files, socket files, IPC objects) are host ids under its maps.
    // Both mean the same only under the same maps.
    if (idx.ns.flags & ns::ns_user) {
        auto bundle_map = [](const std::vector<spec::IdMapping>& m) {
            ns::IdMap out;
            for (const auto& r : m) out.push_back({r.container_id, r.host_id, r.size});
            return out;
        };
        for (auto [image_map, bundle, field] :
             {std::tuple{&idx.ns.uid_map, bundle_map(config.linux.uid_mappings), "linux.uidMappings"},
              std::tuple{&idx.ns.gid_map, bundle_map(config.linux.gid_mappings), "linux.gidMappings"}})
            if (!ns::same_id_map(*image_map, bundle))
                fail("the bundle does not match the image: the image's container had the user namespace map {}, the "
                     "bundle's {} is {}",
                     ns::describe_id_map(*image_map), field, ns::describe_id_map(bundle));
    }
    if (!config.process) fail("the bundle's config.json has no process: it cannot be a checkpointed container's");
    if (g.pids_limit > 0) {
        uint64_t tasks = 0;
        for (const auto& p : idx.processes) tasks += p.threads.size() + (p.core.leader_exited ? 1 : 0);
        if (tasks > static_cast<uint64_t>(g.pids_limit))
            fail("the image holds {} tasks in {} processes, more than the bundle's pids limit of {} "
                 "(linux.resources.pids.limit)",
                 tasks, idx.processes.size(), g.pids_limit);
    }
    // The container's own filter is the oldest one every process carries: the
    // image may add filters (the workload's), never replace this one.
    std::vector<uint8_t> bundle_bpf;
    if (config.linux.seccomp) bundle_bpf = security::SeccompFilter(*config.linux.seccomp).export_bpf();
    for (const auto& p : idx.processes) {
        int32_t pid = inner_pid(p);
        // The process's credentials and each thread's own, which the restore sets.
        auto check_creds = [&](const CredsRecord& c, const std::vector<uint32_t>& groups) {
            check_ids(pid, "uid", c.uid, g.uid, g.has(CAP_SETUID), "CAP_SETUID");
            check_ids(pid, "gid", c.gid, g.gid, g.has(CAP_SETGID), "CAP_SETGID");
            if (!g.has(CAP_SETGID))
                for (auto group : groups)
                    if (!g.groups.count(group))
                        fail("process {} of the image is in supplementary group {}, which is not in the bundle's "
                             "process.user.additionalGids [{}], and the bundle's process has no CAP_SETGID in its "
                             "permitted and effective sets",
                             pid, group, fmt::join(g.groups, ","));
            check_caps(pid, c, g);
            check_securebits(pid, c.securebits, g);
            if (g.no_new_privs && !c.no_new_privs)
                fail("process {} of the image lacks no_new_privs, which the bundle sets", pid);
        };
        check_creds(p.core.creds, p.groups);
        for (const auto& t : p.threads) check_creds(t.creds, t.groups);
        check_rlimits(pid, p.core, g);
        check_memory(pid, p, g, host);
        check_paths(pid, p);
        if (config.linux.seccomp && p.seccomp.empty())
            fail("process {} of the image has no seccomp filter, but the bundle's config.json installs one", pid);
        if (config.linux.seccomp) {
            const auto& oldest = p.seccomp.front();
            if (oldest.size() * sizeof(sock_filter) != bundle_bpf.size() ||
                std::memcmp(oldest.data(), bundle_bpf.data(), bundle_bpf.size()) != 0)
                fail("process {} of the image: its first seccomp filter ({} instructions) is not the one the bundle's "
                     "config.json builds ({} instructions)",
                     pid, oldest.size(), bundle_bpf.size() / sizeof(sock_filter));
        }
    }
}

}  // namespace myrt::cr
