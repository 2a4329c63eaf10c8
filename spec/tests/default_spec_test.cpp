// `myrt spec` output: runc's template, with myrt's documented differences.
#include <gtest/gtest.h>
#include <unistd.h>

#include "myrt_version.hpp"
#include "spec/config.hpp"
#include "test_support.hpp"

using namespace myrt::spec;
using namespace myrt::spec::testing;
using nlohmann::json;

namespace {

// What myrt changes on purpose in runc 1.1's template.
json runc_with_myrt_differences(json runc, bool rootless) {
    runc["ociVersion"] = "1.1.0";
    runc["hostname"] = "myrt";
    // runc 1.2 dropped the ambient set from its template (with no inheritable set it cannot be raised).
    runc["process"]["capabilities"].erase("ambient");
    if (rootless) {
        runc["linux"]["uidMappings"][0]["hostID"] = geteuid();
        runc["linux"]["gidMappings"][0]["hostID"] = getegid();
    }
    return runc;
}

}  // namespace

TEST(DefaultSpec, MatchesRuncSpecApartFromDocumentedDifferences) {
    json expected = runc_with_myrt_differences(load_fixture("runc-spec.json"), false);
    json got = default_spec(false);
    EXPECT_EQ(got, expected) << json::diff(expected, got).dump(2);
}

TEST(DefaultSpec, RootlessMatchesRuncSpecRootless) {
    json expected = runc_with_myrt_differences(load_fixture("runc-spec-rootless.json"), true);
    json got = default_spec(true);
    EXPECT_EQ(got, expected) << json::diff(expected, got).dump(2);
}

TEST(DefaultSpec, IsValidForCreate) {
    for (bool rootless : {false, true}) {
        Config c = parse_config(default_spec(rootless));
        EXPECT_NO_THROW(validate_for_create(c));
        EXPECT_EQ(c.oci_version, MYRT_OCI_VERSION);
        EXPECT_EQ(c.hostname, "myrt");
        EXPECT_EQ(c.process->args, std::vector<std::string>{"sh"});
        EXPECT_TRUE(c.process->terminal);
        EXPECT_TRUE(c.root.readonly);
        EXPECT_EQ(c.linux.find_namespace("cgroup"), nullptr);
        EXPECT_EQ(c.linux.find_namespace("network") == nullptr, rootless);
        EXPECT_EQ(c.linux.find_namespace("user") != nullptr, rootless);
    }
}

// runc adds a cgroup namespace on a pure cgroup v2 host only, after the
// others and before the user namespace of a rootless config.
TEST(DefaultSpec, CgroupNamespaceOnRequest) {
    for (bool rootless : {false, true}) {
        json ns = default_spec(rootless, true)["linux"]["namespaces"];
        json expected = default_spec(rootless, false)["linux"]["namespaces"];
        auto user = std::find(expected.begin(), expected.end(), json{{"type", "user"}});
        expected.insert(user, json{{"type", "cgroup"}});
        EXPECT_EQ(ns, expected) << ns.dump();
        EXPECT_NO_THROW(validate_for_create(parse_config(default_spec(rootless, true))));
    }
}

TEST(DefaultSpec, RootlessDifferences) {
    json rootless = default_spec(true);
    EXPECT_FALSE(rootless["linux"].contains("resources"));
    EXPECT_EQ(rootless["linux"]["uidMappings"][0]["size"], 1);
    json sys = rootless["mounts"][5];
    EXPECT_EQ(sys["destination"], "/sys");
    EXPECT_EQ(sys["type"], "none");
    EXPECT_EQ(sys["options"][0], "rbind");
    auto devpts = rootless["mounts"][2]["options"];
    EXPECT_EQ(std::find(devpts.begin(), devpts.end(), "gid=5"), devpts.end());
}

TEST(DefaultSpec, StandardMountsInOrder) {
    json spec = default_spec(false);
    std::vector<std::string> destinations;
    for (auto& m : spec["mounts"]) destinations.push_back(m["destination"]);
    EXPECT_EQ(destinations, (std::vector<std::string>{"/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys",
                                                      "/sys/fs/cgroup"}));
}
