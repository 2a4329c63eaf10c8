#pragma once
// The namespaces of a container as the image records them: which ones the
// container has of its own, and the state of those this layer restores
// (uts names, the network namespace's loopback). Everything is read and set
// from a short-lived child that joins the namespace, so myrt's own
// namespaces never change.
#include <sys/types.h>

#include <cstdint>
#include <string>

#include "cr/ns/id_map.hpp"

namespace myrt::cr::ns {

enum NsFlag : uint32_t {
    ns_pid = 1u << 0,
    ns_mnt = 1u << 1,
    ns_uts = 1u << 2,
    ns_ipc = 1u << 3,
    ns_net = 1u << 4,
    ns_cgroup = 1u << 5,
    ns_user = 1u << 6,
    ns_time = 1u << 7,
};
inline constexpr uint32_t known_ns_flags = 0xff;

struct NamespaceState {
    uint32_t flags = 0;           // NsFlag: namespaces the container does not share with myrt
    std::string hostname;         // when ns_uts
    std::string domainname;
    bool loopback_up = false;     // when ns_net
    std::string time_offsets;     // when ns_time: /proc/PID/timens_offsets ("monotonic S NS\nboottime S NS\n")
    IdMap uid_map, gid_map;       // when ns_user: the maps as the host sees them (outside = host ids)
};

// "pid,mnt,uts" for messages.
std::string describe_flags(uint32_t flags);
// The NsFlag bit of an OCI namespace type ("network" -> ns_net); 0 when unknown.
uint32_t flag_of_oci_type(const std::string& type);

// Which namespaces `pid` has apart from `reference` (myrt itself), and their state.
NamespaceState dump_namespaces(pid_t pid, pid_t reference);
// Sets the uts names and the loopback state inside `pid`'s namespaces; checks
// that its time namespace has the image's offsets (they are set when the
// namespace is created, from the bundle, before any task joins it).
void restore_namespaces(pid_t pid, const NamespaceState& st);

}  // namespace myrt::cr::ns
