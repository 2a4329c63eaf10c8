#include <sys/vfs.h>
#include <linux/magic.h>

#include <gtest/gtest.h>

#include "runtime/cgroup/cgroup.hpp"
#include "runtime/cgroup/cgroupfs.hpp"
#include "runtime/cgroup/hierarchies.hpp"
#include "util/error.hpp"

using namespace myrt::cgroup;

namespace {

long fs_magic(const char* path) {
    struct statfs st {};
    if (::statfs(path, &st) < 0) return 0;
    return static_cast<long>(st.f_type);
}

const char* hybrid_mountinfo =
    "30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "31 30 0:28 / /sys/fs/cgroup/cpu,cpuacct rw,relatime shared:9 - cgroup cgroup rw,cpu,cpuacct\n"
    "34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "39 30 0:36 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd\n"
    "40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate\n"
    "90 88 0:31 /docker/abc /var/lib/x/rootfs/sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n";

}  // namespace

TEST(Layout, DetectsWhatTheKernelMounts) {
    // Independent of mountinfo: ask statfs what /sys/fs/cgroup and its children are.
    Layout expected;
    if (fs_magic("/sys/fs/cgroup") == CGROUP2_SUPER_MAGIC) expected = Layout::v2;
    else if (fs_magic("/sys/fs/cgroup/unified") == CGROUP2_SUPER_MAGIC) expected = Layout::hybrid;
    else expected = Layout::v1;
    EXPECT_EQ(to_string(detect_layout()), to_string(expected));
}

TEST(Layout, ParsesHybridMountinfo) {
    auto mounts = parse_mountinfo(hybrid_mountinfo);
    ASSERT_EQ(mounts.size(), 4u);  // the second memory mount is the same hierarchy
    EXPECT_EQ(mounts[0].mount_point, "/sys/fs/cgroup/cpu,cpuacct");
    EXPECT_EQ(mounts[0].controllers, (std::vector<std::string>{"cpu", "cpuacct"}));
    EXPECT_EQ(mounts[1].root, "/");
    EXPECT_EQ(mounts[2].controllers, (std::vector<std::string>{"name=systemd"}));
    EXPECT_TRUE(mounts[3].v2);
    EXPECT_EQ(layout_of(mounts), Layout::hybrid);
}

TEST(Layout, ClassifiesPureV1AndPureV2) {
    auto v2 = parse_mountinfo("25 20 0:22 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n");
    EXPECT_EQ(layout_of(v2), Layout::v2);
    auto v1 = parse_mountinfo(
        "31 30 0:28 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n"
        "39 30 0:36 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,xattr,name=systemd\n");
    EXPECT_EQ(layout_of(v1), Layout::v1);
    // systemd's "hybrid" with no v1 controller is a v2 host that also has a named hierarchy.
    auto named_only = parse_mountinfo(
        "39 30 0:36 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,xattr,name=systemd\n"
        "40 30 0:37 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n");
    EXPECT_EQ(layout_of(named_only), Layout::v2);
    EXPECT_THROW(layout_of(parse_mountinfo("1 0 0:1 / / rw - ext4 /dev/sda rw\n")), myrt::Error);
}

TEST(Layout, UnescapesMountPoints) {
    auto m = parse_mountinfo("31 30 0:28 / /tmp/a\\040b rw - cgroup cgroup rw,pids\n");
    ASSERT_EQ(m.size(), 1u);
    EXPECT_EQ(m[0].mount_point, "/tmp/a b");
}

TEST(Placement, EmptyPathGoesUnderTheParent) {
    auto cg = Cgroup::for_container("", "abc");
    EXPECT_EQ(cg.cgroups_path(), "/myrt/abc");
    for (auto& h : cg.v1_hierarchies()) {
        EXPECT_EQ(h.dir, h.mount_point + "/myrt/abc");
    }
    if (cg.layout() != Layout::v1) {
        EXPECT_EQ(cg.unified_dir(), cg.unified_mount() + "/myrt/abc");
    }
    EXPECT_EQ(Cgroup::for_container("", "x", "/").cgroups_path(), "/x");
}

TEST(Placement, AbsolutePathIsFromEachRoot) {
    auto cg = Cgroup::for_container("/a//b/./c/", "ignored");
    EXPECT_EQ(cg.cgroups_path(), "/a/b/c");
    EXPECT_EQ(cg.path_in("memory"), "/sys/fs/cgroup/memory/a/b/c");
    EXPECT_EQ(cg.path_in("pids"), "/sys/fs/cgroup/pids/a/b/c");
}

TEST(Placement, RelativePathIsUnderOurOwnCgroup) {
    auto cg = Cgroup::for_container("sub/ctr", "ignored");
    auto own = process_cgroups();
    // This process sits in a non-root memory cgroup on the test machine; whatever it is, the
    // container goes below it.
    EXPECT_EQ(cg.path_in("memory"), myrt::cgroup::fs::join("/sys/fs/cgroup/memory", own["memory"]) + "/sub/ctr");
    if (!cg.unified_dir().empty()) {
        std::string v2 = own[""];
        if (v2.ends_with("/init.scope")) v2.resize(v2.size() - 11);
        if (v2 == "/") v2.clear();
        EXPECT_EQ(cg.unified_dir(), myrt::cgroup::fs::join(cg.unified_mount(), v2) + "/sub/ctr");
    }
}

TEST(Placement, SystemdStylePathBecomesSliceAndScope) {
    auto cg = Cgroup::for_container("machine-podman.slice:libpod:1234", "ignored");
    EXPECT_EQ(cg.cgroups_path(), "/machine.slice/machine-podman.slice/libpod-1234.scope");
    EXPECT_EQ(Cgroup::for_container(":crio:ab", "x").cgroups_path(), "/system.slice/crio-ab.scope");
}

TEST(Placement, RejectsEscapesAndRoot) {
    try {
        Cgroup::for_container("/a/../../etc", "x");
        FAIL() << "accepted ..";
    } catch (const myrt::Error& e) {
        EXPECT_NE(std::string(e.what()).find("\"..\""), std::string::npos) << e.what();
    }
    EXPECT_THROW(Cgroup::for_container("/", "x"), myrt::Error);
    EXPECT_THROW(Cgroup::for_container("", "a/b"), myrt::Error);
    EXPECT_THROW(Cgroup::for_container("", ""), myrt::Error);
}

TEST(Placement, PathInFindsEveryController) {
    auto cg = Cgroup::for_container("/p/q", "x");
    for (auto& h : cg.v1_hierarchies())
        for (auto& c : h.controllers) {
            EXPECT_EQ(cg.path_in(c), h.dir) << c;
        }
    EXPECT_EQ(cg.path_in("systemd"), "/sys/fs/cgroup/systemd/p/q");
    if (cg.layout() == Layout::hybrid) {
        EXPECT_EQ(cg.path_in("unified"), "/sys/fs/cgroup/unified/p/q");
        EXPECT_EQ(cg.path_in("hugetlb"), "/sys/fs/cgroup/unified/p/q");  // v2-only controller here
    }
    try {
        cg.path_in("nosuchcontroller");
        FAIL();
    } catch (const myrt::Error& e) {
        EXPECT_NE(std::string(e.what()).find("nosuchcontroller"), std::string::npos);
    }
}

TEST(State, JsonRoundTrip) {
    auto cg = Cgroup::for_container("/r/t", "x");
    auto j = cg.to_json();
    auto back = Cgroup::from_json(j);
    EXPECT_EQ(back.to_json(), j);
    EXPECT_EQ(back.layout(), cg.layout());
    EXPECT_EQ(back.path_in("memory"), cg.path_in("memory"));
    // Survives serialization as text, as the state file stores it.
    EXPECT_EQ(Cgroup::from_json(nlohmann::json::parse(j.dump())).to_json(), j);
}

TEST(State, FromJsonNamesTheBadField) {
    auto j = Cgroup::for_container("/r/t", "x").to_json();
    auto expect_error = [](nlohmann::json bad, const std::string& needle) {
        try {
            Cgroup::from_json(bad);
            ADD_FAILURE() << "accepted " << bad.dump();
        } catch (const myrt::Error& e) {
            EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
        }
    };
    auto bad = j;
    bad["layout"] = "v3";
    expect_error(bad, "layout");
    bad = j;
    bad["v1"][0]["dir"] = "relative/dir";
    expect_error(bad, "v1[0].dir");
    bad = j;
    bad.erase("v1");
    expect_error(bad, "v1");
    if (j["layout"] != "v1") {
        bad = j;
        bad["unified"] = nullptr;
        expect_error(bad, "unified");
    }
    expect_error(nlohmann::json::array(), "layout");
}
