// JSON -> model -> JSON keeps every modelled field, in runc's omitempty shape.
#include <gtest/gtest.h>

#include "spec/config.hpp"
#include "test_support.hpp"

using namespace myrt::spec;
using namespace myrt::spec::testing;
using nlohmann::json;

namespace {
Config without_raw(Config c) {
    c.raw = nullptr;
    return c;
}
}  // namespace

TEST(RoundTrip, RuncSpecComesBackIdentical) {
    json doc = load_fixture("runc-spec.json");
    EXPECT_EQ(config_to_json(parse_config(doc)), doc) << config_to_json(parse_config(doc)).dump(2);
}

TEST(RoundTrip, RuncRootlessSpecComesBackIdentical) {
    json doc = load_fixture("runc-spec-rootless.json");
    EXPECT_EQ(config_to_json(parse_config(doc)), doc);
}

TEST(RoundTrip, FullConfigComesBackIdentical) {
    json doc = load_fixture("full-config.json");
    json out = config_to_json(parse_config(doc));
    EXPECT_EQ(out, doc) << json::diff(doc, out).dump(2);
}

TEST(RoundTrip, ModelSurvivesSerializeAndParse) {
    Config first = parse_config(load_fixture("full-config.json"));
    Config second = parse_config(config_to_json(first));
    EXPECT_EQ(without_raw(first), without_raw(second));
    // and a change in any field is seen by the comparison
    second.linux.seccomp->syscalls[2].args[0].value_two = 7;
    EXPECT_NE(without_raw(first), without_raw(second));
}

TEST(RoundTrip, ProcessAndResourcesAlone) {
    json doc = load_fixture("full-config.json");
    Process p = parse_process(doc["process"]);
    EXPECT_EQ(process_to_json(p), doc["process"]);
    Resources r = parse_resources(doc["linux"]["resources"]);
    EXPECT_EQ(resources_to_json(r), doc["linux"]["resources"]);
}

TEST(RoundTrip, DefaultSpecRoundTrips) {
    for (bool rootless : {false, true}) {
        json doc = default_spec(rootless);
        EXPECT_EQ(config_to_json(parse_config(doc)), doc) << "rootless=" << rootless;
    }
}

// A config.json as podman 4.3.1 writes it (podman create --hostname fx --memory 64m
// --pids-limit 50 --cap-add SYS_PTRACE --sysctl net.ipv4.ip_forward=1
// --ulimit nofile=1000:2000 -e FOO=bar IMAGE sh -c 'echo hi'), with its seccomp profile.
TEST(RoundTrip, PodmanConfigParsesAndComesBackIdentical) {
    json doc = load_fixture("podman-4.3.1-config.json");
    Config c = parse_config(doc);
    EXPECT_NO_THROW(validate_for_create(c));
    EXPECT_EQ(c.hostname, "fx");
    EXPECT_EQ(c.linux.resources->memory->limit, 64 << 20);
    EXPECT_EQ(c.linux.resources->pids->limit, 50);
    EXPECT_EQ(c.linux.sysctl.at("net.ipv4.ip_forward"), "1");
    ASSERT_TRUE(c.linux.seccomp);
    EXPECT_GT(c.linux.seccomp->syscalls.size(), 10u);
    auto& caps = c.process->capabilities->bounding;
    EXPECT_NE(std::find(caps.begin(), caps.end(), "CAP_SYS_PTRACE"), caps.end());
    json out = config_to_json(c);
    EXPECT_EQ(out, doc) << json::diff(doc, out).dump(2);
}

// containerd 1.6's template (`ctr oci spec`): it has no args until the image's
// command is filled in, which is the one thing a runtime must refuse.
TEST(RoundTrip, ContainerdTemplateNeedsOnlyArgs) {
    json doc = load_fixture("containerd-1.6-ctr-oci-spec.json");
    EXPECT_SPEC_ERROR(parse_config(doc), "process.args: must be a non-empty array");
    doc["process"]["args"] = {"sh"};
    Config c = parse_config(doc);
    EXPECT_NO_THROW(validate_for_create(c));
    EXPECT_EQ(c.linux.cgroups_path, "/default");
    json out = config_to_json(c);
    EXPECT_EQ(out, doc) << json::diff(doc, out).dump(2);
}
