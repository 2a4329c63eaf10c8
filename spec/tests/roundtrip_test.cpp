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
