#pragma once
// The configuration of a network namespace the bundle creates: its links
// (loopback only: other kinds are refused by name), their up/down state and
// MTU, addresses (IPv4 and IPv6), routes (every table, but the kernel's own:
// table local and protocol kernel), and the namespaced net.* sysctls. Read
// with `ip -json` (iproute2) and /proc/sys/net inside the namespace; the
// restore applies it in the new namespace before any socket is made, so a
// socket bound to one of the addresses binds again.
//
// In the image: one BUFFER section (driver::section::netns) holding this as
// JSON; the restore decodes it strictly (every field, name and address
// checked) before touching anything.
#include <cstddef>
#include <span>
#include <string>
#include <sys/types.h>
#include <vector>

namespace myrt::cr::net {

struct NetLink {
    std::string name;
    uint32_t mtu = 0;
    bool up = false;
};
struct NetAddress {
    std::string dev, local;  // "10.0.0.1"
    uint32_t family = 0, prefixlen = 0;
};
struct NetRoute {
    uint32_t family = 0;
    std::string type = "unicast", dst = "default", gateway, dev, protocol, scope;
    uint32_t table = 254, metric = 0;
};
struct NetnsConfig {
    std::vector<NetLink> links;
    std::vector<NetAddress> addresses;
    std::vector<NetRoute> routes;
    std::vector<std::pair<std::string, std::string>> sysctls;  // "ipv4/ip_forward" (below /proc/sys/net) -> value
};

// Of the network namespace of `pid`; fails naming a link of another kind than loopback.
NetnsConfig dump_netns_config(pid_t pid);
std::vector<std::byte> encode_netns_config(const NetnsConfig& c);
NetnsConfig decode_netns_config(std::span<const std::byte> bytes);
// Into the (new) network namespace of `pid`: links, sysctls, addresses, routes.
void restore_netns_config(pid_t pid, const NetnsConfig& c);
std::string describe(const NetnsConfig& c);

}  // namespace myrt::cr::net
