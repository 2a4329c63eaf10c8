// `myrt features`: OCI 1.1 shape, lists that agree with the name tables, and
// with what runc 1.1 reports on the same machine.
#include <gtest/gtest.h>
#include <seccomp.h>

#include <algorithm>
#include <fstream>

#include "myrt_version.hpp"
#include "spec/capabilities_table.hpp"
#include "spec/config.hpp"
#include "spec/mount_options.hpp"
#include "spec/seccomp_names.hpp"
#include "test_support.hpp"

using namespace myrt::spec;
using namespace myrt::spec::testing;
using nlohmann::json;

namespace {
bool contains(const json& list, const std::string& item) {
    return std::find(list.begin(), list.end(), item) != list.end();
}
}  // namespace

TEST(Features, VersionsAndHooks) {
    json f = features();
    EXPECT_EQ(f["ociVersionMin"], "1.0.0");
    EXPECT_EQ(f["ociVersionMax"], "1.1.0");
    EXPECT_EQ(f["hooks"], load_fixture("runc-features.json")["hooks"]);
}

TEST(Features, MountOptionsAreTheSupportedTable) {
    json f = features();
    json options = f["mountOptions"];
    EXPECT_TRUE(std::is_sorted(options.begin(), options.end()));
    for (auto& name : options) EXPECT_NE(find_mount_option(name.get<std::string>()), nullptr) << name;
    for (auto name : {"ro", "rw", "nosuid", "suid", "nodev", "dev", "noexec", "exec", "sync", "async", "dirsync",
                      "remount", "mand", "nomand", "atime", "noatime", "diratime", "nodiratime", "relatime",
                      "norelatime", "strictatime", "nostrictatime", "bind", "rbind", "private", "rprivate", "shared",
                      "rshared", "slave", "rslave", "unbindable", "runbindable", "defaults", "rro", "rrw", "rnosuid",
                      "rnoexec", "lazytime", "nolazytime", "iversion", "noiversion", "silent", "loud"})
        EXPECT_TRUE(contains(options, name)) << name;
    EXPECT_FALSE(contains(options, "tmpcopyup"));
    // Every option myrt lists means the same to runc.
    json runc_options = load_fixture("runc-features.json")["mountOptions"];
    for (auto& name : options) EXPECT_TRUE(contains(runc_options, name)) << name;
}

TEST(Features, LinuxNamespacesAndCapabilities) {
    json linux_f = features()["linux"];
    for (auto& ns : load_fixture("runc-features.json")["linux"]["namespaces"])
        EXPECT_TRUE(contains(linux_f["namespaces"], ns)) << ns;
    EXPECT_TRUE(contains(linux_f["namespaces"], "time"));
    EXPECT_EQ(linux_f["capabilities"], json(all_capability_names()));
    EXPECT_EQ(linux_f["capabilities"], load_fixture("runc-features.json")["linux"]["capabilities"]);
}

TEST(Features, CgroupAndSecurityModules) {
    json linux_f = features()["linux"];
    EXPECT_EQ(linux_f["cgroup"], json::parse(R"({"v1": true, "v2": true, "systemd": false, "systemdUser": false})"));
    EXPECT_EQ(linux_f["apparmor"]["enabled"], false);
    EXPECT_EQ(linux_f["selinux"]["enabled"], false);
    EXPECT_EQ(linux_f["intelRdt"]["enabled"], false);
    EXPECT_EQ(linux_f["mountExtensions"]["idmap"]["enabled"], false);
}

TEST(Features, SeccompListsFromLibseccomp) {
    json s = features()["linux"]["seccomp"];
    json runc_s = load_fixture("runc-features.json")["linux"]["seccomp"];
    EXPECT_EQ(s["enabled"], true);
    // libseccomp 2.5 on this kernel supports every action and arch runc lists.
    EXPECT_EQ(s["actions"], runc_s["actions"]);
    EXPECT_EQ(s["operators"], runc_s["operators"]);
    for (auto& arch : runc_s["archs"]) EXPECT_TRUE(contains(s["archs"], arch)) << arch;
    for (auto& arch : s["archs"]) EXPECT_TRUE(is_known(seccomp_arch_names(), arch.get<std::string>()));
    EXPECT_EQ(s["knownFlags"], json(seccomp_flag_names()));
    for (auto& flag : s["supportedFlags"]) EXPECT_TRUE(contains(s["knownFlags"], flag)) << flag;
    // TSYNC needs only API level 2 and kernel 3.17.
    EXPECT_TRUE(contains(s["supportedFlags"], "SECCOMP_FILTER_FLAG_TSYNC"));
    if (seccomp_api_get() < 7) {
        EXPECT_FALSE(contains(s["supportedFlags"], "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"));
    }
}

TEST(Features, Annotations) {
    json a = features()["annotations"];
    EXPECT_EQ(a["io.github.myrt.version"], MYRT_VERSION);
    const scmp_version* v = seccomp_version();
    EXPECT_EQ(a["io.github.seccomp.libseccomp.version"], fmt::format("{}.{}.{}", v->major, v->minor, v->micro));
    EXPECT_EQ(a["io.github.seccomp.libseccomp.version"],
              load_fixture("runc-features.json")["annotations"]["io.github.seccomp.libseccomp.version"]);
}

namespace {
// The Seccomp field of /proc/self/status: the filter mode of this process.
std::string seccomp_mode() {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind("Seccomp:", 0) == 0) return line.substr(line.find_first_not_of(" \t", 8));
    return "missing";
}
}  // namespace

TEST(Features, ProbingInstallsNoFilter) {
    std::string before = seccomp_mode();
    ASSERT_NE(before, "missing");
    (void)features();
    EXPECT_EQ(seccomp_mode(), before);
}
