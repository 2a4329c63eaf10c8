#pragma once
// The image is untrusted: before it is restored into a bundle, what it asks
// for must be something the bundle's process could have reached by itself.
#include <sys/resource.h>

#include <array>
#include <cstdint>
#include <set>

#include "cr/restore/image_index.hpp"
#include "spec/config.hpp"

namespace myrt::cr {

// What the bundle's process starts with (config.json, and for what it does
// not set, what the container inherits from myrt), and what that decides.
struct BundleGrants {
    uint32_t uid = 0, gid = 0;
    std::set<uint32_t> groups;  // process.user.additionalGids
    uint64_t bounding = 0, effective = 0, permitted = 0, inheritable = 0, ambient = 0;
    std::array<rlimit, 16> rlimits{};  // indexed by RLIMIT_*
    int64_t pids_limit = 0;            // linux.resources.pids.limit; 0 or less = none
    bool no_new_privs = false;

    // A capability the process holds and can use: in its permitted and its
    // effective set. The bounding set alone gives nothing.
    bool has(int cap) const { return ((permitted & effective) >> cap) & 1; }
    // Whether the process can be uid 0: then an execve gives it its bounding
    // and inheritable sets as permitted and effective (the kernel's root rule).
    bool can_be_root() const;
};

// `myrt_limits` are the resource limits of the myrt process, which the
// container's process inherits for those config.json does not set; `myrt_caps`
// its capabilities, which a bundle without `capabilities` leaves to a root
// process (myrt's bounding and inheritable to any other).
BundleGrants bundle_grants(const spec::Config& config, const std::array<rlimit, 16>& myrt_limits,
                           uint64_t myrt_bounding, uint64_t myrt_inheritable);
// The same with this process's own limits and capabilities.
BundleGrants bundle_grants(const spec::Config& config);

// Host values the memory checks compare with.
struct HostLimits {
    uint64_t mmap_min_addr = 65536;  // /proc/sys/vm/mmap_min_addr
};
HostLimits read_host_limits();

// Throws a myrt::Error naming the first mismatch, the process and the values:
// namespaces, uid/gid/groups, each capability set, securebits, rlimits, a
// missing seccomp filter or no_new_privs, memory below mmap_min_addr,
// mlocked memory beyond RLIMIT_MEMLOCK, more tasks than the pids limit.
void check_image_against_bundle(const ImageIndex& idx, const spec::Config& config, const BundleGrants& grants,
                                const HostLimits& host);
void check_image_against_bundle(const ImageIndex& idx, const spec::Config& config);

}  // namespace myrt::cr
