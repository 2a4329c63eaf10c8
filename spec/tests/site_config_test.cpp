// The site configuration file: defaults, good files, and bad ones named by key.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "spec/site_config.hpp"
#include "test_support.hpp"

using namespace myrt::spec;
using namespace myrt::spec::testing;

namespace {

class SiteConfigFile : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() / ("myrt-site-" + std::to_string(getpid()));
        std::filesystem::create_directories(dir_);
        path_ = (dir_ / "myrt.yaml").string();
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }
    void write(const std::string& text) {
        std::ofstream out(path_);
        out << text;
    }
    std::filesystem::path dir_;
    std::string path_;
};

SiteConfig parse(const std::string& text) { return parse_site_config(text, "myrt.yaml"); }

}  // namespace

TEST(SiteConfig, Defaults) {
    SiteConfig c;
    EXPECT_EQ(c.root, "/run/myrt");
    EXPECT_EQ(c.log_level, "info");
    EXPECT_EQ(c.log_format, "text");
    EXPECT_EQ(c.cgroup_layout, "auto");
    EXPECT_EQ(c.cgroup_parent, "/myrt");
    EXPECT_EQ(c.checkpoint.image_dir_default, "");
    EXPECT_FALSE(c.checkpoint.leave_running);
    EXPECT_FALSE(c.checkpoint.file_locks);
    EXPECT_FALSE(c.checkpoint.tcp_established);
}

TEST(SiteConfig, EmptyTextGivesDefaults) {
    SiteConfig c = parse("");
    EXPECT_EQ(c.root, "/run/myrt");
    c = parse("# only a comment\n");
    EXPECT_EQ(c.cgroup_parent, "/myrt");
}

TEST(SiteConfig, EveryKeyRead) {
    SiteConfig c = parse(R"(
root: /var/run/myrt-test
log_level: debug
log_format: json
cgroup_layout: hybrid
cgroup_parent: /machine
checkpoint:
  image_dir_default: /var/lib/myrt/checkpoints
  leave_running: true
  file_locks: true
  tcp_established: yes
)");
    EXPECT_EQ(c.root, "/var/run/myrt-test");
    EXPECT_EQ(c.log_level, "debug");
    EXPECT_EQ(c.log_format, "json");
    EXPECT_EQ(c.cgroup_layout, "hybrid");
    EXPECT_EQ(c.cgroup_parent, "/machine");
    EXPECT_EQ(c.checkpoint.image_dir_default, "/var/lib/myrt/checkpoints");
    EXPECT_TRUE(c.checkpoint.leave_running);
    EXPECT_TRUE(c.checkpoint.file_locks);
    EXPECT_TRUE(c.checkpoint.tcp_established);
}

TEST(SiteConfig, NullValueKeepsDefault) {
    SiteConfig c = parse("root:\ncheckpoint:\n");
    EXPECT_EQ(c.root, "/run/myrt");
}

TEST(SiteConfig, BadLogFormat) {
    EXPECT_SPEC_ERROR(parse("log_format: xml\n"), "myrt.yaml: log_format: must be \"text\" or \"json\", got \"xml\"");
}

TEST(SiteConfig, BadLogLevel) {
    EXPECT_SPEC_ERROR(parse("log_level: loud\n"),
                      "myrt.yaml: log_level: must be \"debug\", \"info\", \"warning\" or \"error\", got \"loud\"");
}

TEST(SiteConfig, BadCgroupLayout) {
    EXPECT_SPEC_ERROR(parse("cgroup_layout: v3\n"),
                      "myrt.yaml: cgroup_layout: must be \"auto\", \"v1\", \"v2\" or \"hybrid\", got \"v3\"");
}

TEST(SiteConfig, PathsMustBeAbsolute) {
    EXPECT_SPEC_ERROR(parse("root: run/myrt\n"), "myrt.yaml: root: must be an absolute path, got \"run/myrt\"");
    EXPECT_SPEC_ERROR(parse("cgroup_parent: myrt\n"), "myrt.yaml: cgroup_parent: must be an absolute path");
    EXPECT_SPEC_ERROR(parse("checkpoint:\n  image_dir_default: ckpt\n"),
                      "myrt.yaml: checkpoint.image_dir_default: must be an absolute path");
}

TEST(SiteConfig, EmptyRootRefused) {
    EXPECT_SPEC_ERROR(parse("root: \"\"\n"), "myrt.yaml: root: must not be empty");
}

TEST(SiteConfig, WrongShapes) {
    EXPECT_SPEC_ERROR(parse("root: [a, b]\n"), "myrt.yaml: root: must be a string");
    EXPECT_SPEC_ERROR(parse("checkpoint: 3\n"), "myrt.yaml: checkpoint: must be a mapping");
    EXPECT_SPEC_ERROR(parse("checkpoint:\n  leave_running: maybe\n"),
                      "myrt.yaml: checkpoint.leave_running: must be true or false, got \"maybe\"");
    EXPECT_SPEC_ERROR(parse("- a\n- b\n"), "myrt.yaml: must be a mapping");
}

TEST(SiteConfig, UnknownKeysNamed) {
    EXPECT_SPEC_ERROR(parse("log_formt: json\n"), "myrt.yaml: log_formt: unknown key");
    EXPECT_SPEC_ERROR(parse("checkpoint:\n  leave-running: true\n"), "myrt.yaml: checkpoint.leave-running: unknown key");
}

TEST(SiteConfig, ComplexKeysRejected) {
    EXPECT_SPEC_ERROR(parse("root: /a\n? [x, y]\n: 1\n"), "myrt.yaml: line 2: keys must be plain names");
}

TEST(SiteConfig, SyntaxErrorHasLine) {
    EXPECT_SPEC_ERROR(parse("root: /a\nlog_level: [debug\n"), "myrt.yaml: line ");
}

TEST_F(SiteConfigFile, MissingDefaultFileGivesDefaults) {
    SiteConfig c = load_site_config((dir_ / "absent.yaml").string(), false);
    EXPECT_EQ(c.root, "/run/myrt");
}

TEST_F(SiteConfigFile, MissingExplicitFileIsError) {
    auto absent = (dir_ / "absent.yaml").string();
    EXPECT_SPEC_ERROR(load_site_config(absent, true), absent + ": configuration file does not exist");
}

TEST_F(SiteConfigFile, GoodFileLoads) {
    write("log_format: json\ncheckpoint:\n  file_locks: true\n");
    SiteConfig c = load_site_config(path_, true);
    EXPECT_EQ(c.log_format, "json");
    EXPECT_TRUE(c.checkpoint.file_locks);
}

TEST_F(SiteConfigFile, BadFileErrorNamesFileAndKey) {
    write("log_format: xml\n");
    EXPECT_SPEC_ERROR(load_site_config(path_, false),
                      path_ + ": log_format: must be \"text\" or \"json\", got \"xml\"");
}

TEST(SiteConfig, ShippedExampleParsesToDefaults) {
    std::string example = std::string(MYRT_SPEC_FIXTURES) + "/../../myrt.yaml.example";
    SiteConfig c = load_site_config(example, true);
    SiteConfig d;
    EXPECT_EQ(c.root, d.root);
    EXPECT_EQ(c.log_level, d.log_level);
    EXPECT_EQ(c.log_format, d.log_format);
    EXPECT_EQ(c.cgroup_layout, d.cgroup_layout);
    EXPECT_EQ(c.cgroup_parent, d.cgroup_parent);
    EXPECT_EQ(c.checkpoint.image_dir_default, d.checkpoint.image_dir_default);
    EXPECT_EQ(c.checkpoint.leave_running, d.checkpoint.leave_running);
}
