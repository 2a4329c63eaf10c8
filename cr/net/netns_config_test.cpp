// The netns section: what the checkpoint writes reads back; hostile input
// (unknown fields, names, paths, addresses that are not) is refused.
#include "cr/net/netns_config.hpp"

#include <gtest/gtest.h>

#include <string>

namespace myrt::cr::net {
namespace {

NetnsConfig sample() {
    NetnsConfig c;
    c.links.push_back({"lo", 16000, true});
    c.addresses.push_back({"lo", "10.99.0.1", 4, 24});
    c.addresses.push_back({"lo", "fd00:99::1", 6, 64});
    NetRoute r;
    r.family = 4;
    r.dst = "10.98.0.0/16";
    r.dev = "lo";
    r.protocol = "static";
    r.scope = "link";
    c.routes.push_back(r);
    NetRoute b;
    b.family = 4;
    b.type = "blackhole";
    b.dst = "10.97.0.0/16";
    b.table = 100;
    c.routes.push_back(b);
    c.sysctls.emplace_back("ipv4/ip_local_port_range", "20000\t30000");
    c.sysctls.emplace_back("ipv4/conf/lo/rp_filter", "2");
    return c;
}

std::vector<std::byte> bytes(const std::string& s) {
    auto p = reinterpret_cast<const std::byte*>(s.data());
    return {p, p + s.size()};
}

std::string text(const NetnsConfig& c) {
    auto b = encode_netns_config(c);
    return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

TEST(NetnsConfig, RoundTrips) {
    NetnsConfig c = decode_netns_config(encode_netns_config(sample()));
    ASSERT_EQ(c.links.size(), 1u);
    EXPECT_EQ(c.links[0].mtu, 16000u);
    ASSERT_EQ(c.addresses.size(), 2u);
    EXPECT_EQ(c.addresses[1].local, "fd00:99::1");
    ASSERT_EQ(c.routes.size(), 2u);
    EXPECT_EQ(c.routes[1].type, "blackhole");
    EXPECT_EQ(c.routes[1].table, 100u);
    ASSERT_EQ(c.sysctls.size(), 2u);
    EXPECT_EQ(c.sysctls[0].second, "20000\t30000");
}

void expect_refused(const std::string& from, const std::string& to) {
    std::string t = text(sample());
    auto at = t.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    t.replace(at, from.size(), to);
    EXPECT_THROW(decode_netns_config(bytes(t)), std::exception) << t;
}

TEST(NetnsConfig, RefusesHostileInput) {
    EXPECT_THROW(decode_netns_config(bytes("not json")), std::exception);
    EXPECT_THROW(decode_netns_config(bytes("[]")), std::exception);
    expect_refused("\"version\":1", "\"version\":2");
    expect_refused("\"version\":1", "\"version\":1,\"extra\":0");
    expect_refused("\"name\":\"lo\"", "\"name\":\"../lo\"");
    expect_refused("\"name\":\"lo\"", "\"name\":\"a-name-far-too-long\"");
    expect_refused("\"mtu\":16000", "\"mtu\":10");
    expect_refused("\"mtu\":16000", "\"mtu\":-1");
    expect_refused("\"up\":true", "\"up\":1");
    expect_refused("\"local\":\"10.99.0.1\"", "\"local\":\"10.99.0.1; reboot\"");
    expect_refused("\"prefixlen\":24", "\"prefixlen\":33");
    expect_refused("\"dev\":\"lo\",\"family\":4", "\"dev\":\"eth9\",\"family\":4");
    expect_refused("\"dst\":\"10.98.0.0/16\"", "\"dst\":\"10.98.0.0/99\"");
    expect_refused("\"type\":\"blackhole\"", "\"type\":\"nat\"");
    expect_refused("\"protocol\":\"static\"", "\"protocol\":\"static table 1\"");
    expect_refused("\"table\":100", "\"table\":255");
    expect_refused("\"ipv4/ip_local_port_range\"", "\"../../kernel/core_pattern\"");
    expect_refused("\"ipv4/ip_local_port_range\"", "\"/ipv4/ip_forward\"");
    expect_refused("\"ipv4/conf/lo/rp_filter\"", "\"ipv4/conf/./rp_filter\"");
    expect_refused("\"2\"]", "\"2\\n1\"]");
}

}  // namespace
}  // namespace myrt::cr::net
