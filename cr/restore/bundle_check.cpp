#include "cr/restore/bundle_check.hpp"

#include <linux/capability.h>

#include <cstring>

#include "cr/ns/ns_state.hpp"
#include "runtime/security/capabilities.hpp"
#include "runtime/security/seccomp.hpp"
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

}  // namespace

void check_image_against_bundle(const ImageIndex& idx, const spec::Config& config) {
    constexpr uint32_t compared = ns::ns_pid | ns::ns_mnt | ns::ns_uts | ns::ns_ipc | ns::ns_net | ns::ns_cgroup |
                                  ns::ns_user | ns::ns_time;
    uint32_t bundle_ns = 0;
    for (auto& n : config.linux.namespaces)
        if (n.path.empty()) bundle_ns |= ns::flag_of_oci_type(n.type);
    if ((bundle_ns & compared) != (idx.ns.flags & compared))
        fail("the bundle does not match the image: the image's container had its own {} namespaces, the bundle "
             "creates {}",
             ns::describe_flags(idx.ns.flags & compared), ns::describe_flags(bundle_ns & compared));
    if (!config.process) fail("the bundle's config.json has no process: it cannot be a checkpointed container's");
    const auto& proc = *config.process;
    // The container's own filter is the oldest one every process carries: the
    // image may add filters (the workload's), never replace this one.
    std::vector<uint8_t> bundle_bpf;
    if (config.linux.seccomp) bundle_bpf = security::SeccompFilter(*config.linux.seccomp).export_bpf();
    uint64_t bounding = proc.capabilities ? mask_of(proc.capabilities->bounding) : 0;
    for (const auto& p : idx.processes) {
        const auto& c = p.core.creds;
        int32_t pid = inner_pid(p);
        struct Set {
            const char* name;
            uint64_t value;
        } sets[] = {{"permitted", c.cap_permitted},     {"effective", c.cap_effective},
                    {"inheritable", c.cap_inheritable}, {"bounding", c.cap_bounding},
                    {"ambient", c.cap_ambient}};
        for (auto& s : sets)
            if (s.value & ~bounding)
                fail("process {} of the image has {} capabilities {:#x} beyond the bundle's bounding set {:#x}", pid,
                     s.name, s.value & ~bounding, bounding);
        // Without CAP_SETUID/CAP_SETGID anywhere in the container, no process
        // can have left the ids the bundle starts it with.
        if (!(bounding & (1ull << CAP_SETUID)))
            for (auto u : c.uid)
                if (u != proc.user.uid)
                    fail("process {} of the image runs as uid {}, which the bundle (uid {}, no CAP_SETUID) cannot reach",
                         pid, u, proc.user.uid);
        if (!(bounding & (1ull << CAP_SETGID)))
            for (auto g : c.gid)
                if (g != proc.user.gid)
                    fail("process {} of the image runs as gid {}, which the bundle (gid {}, no CAP_SETGID) cannot reach",
                         pid, g, proc.user.gid);
        if (proc.no_new_privileges && !c.no_new_privs)
            fail("process {} of the image lacks no_new_privs, which the bundle sets", pid);
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
