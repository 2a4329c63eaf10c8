#include "runtime/security/user.hpp"

#include <gtest/gtest.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "runtime/security/tests/child_process.hpp"
#include "util/error.hpp"

namespace fs = std::filesystem;
using myrt::security::resolve_user;
using myrt::security::switch_user;
using myrt::testing::run_in_child;

namespace {

std::string status_line(const std::string& key) {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind(key + ":", 0) == 0) return line;
    return "";
}

TEST(SwitchUser, IdsGroupsAndUmaskAreVisibleInProc) {
    auto r = run_in_child([] {
        switch_user(myrt::spec::User{1000, 1001, 027, {2000, 2001}});
        myrt::testing::note(status_line("Uid") + "\n" + status_line("Gid") + "\n" + status_line("Groups") + "\n" +
                            status_line("Umask") + "\n");
        return 0;
    });
    ASSERT_TRUE(r.exited_with(0)) << r.describe();
    EXPECT_NE(r.output.find("Uid:\t1000\t1000\t1000\t1000\n"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("Gid:\t1001\t1001\t1001\t1001\n"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("Groups:\t2000 2001"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("Umask:\t0027\n"), std::string::npos) << r.output;
}

TEST(SwitchUser, EmptyAdditionalGidsClearsTheRuntimesGroups) {
    auto r = run_in_child([] {
        gid_t extra[] = {4000};
        if (::setgroups(1, extra) < 0) return 1;
        switch_user(myrt::spec::User{0, 0, std::nullopt, {}});
        myrt::testing::note(status_line("Groups") + "\n");
        return 0;
    });
    ASSERT_TRUE(r.exited_with(0)) << r.describe();
    // The kernel prints the empty list as "Groups:\t \n"; only whitespace may follow the key.
    EXPECT_EQ(r.output.find_first_not_of(" \t\n", 7), std::string::npos) << r.output;
    EXPECT_EQ(r.output.rfind("Groups:", 0), 0u) << r.output;
}

bool write_file(const std::string& path, const std::string& text) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return false;
    bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    ::close(fd);
    return ok;
}

TEST(SwitchUser, SetgroupsDeniedInAUserNamespaceIsSkipped) {
    auto r = run_in_child([] {
        if (::unshare(CLONE_NEWUSER) < 0) return 1;
        if (!write_file("/proc/self/setgroups", "deny")) return 2;
        if (!write_file("/proc/self/uid_map", "0 0 1\n")) return 3;
        if (!write_file("/proc/self/gid_map", "0 0 1\n")) return 4;
        switch_user(myrt::spec::User{0, 0, std::nullopt, {5}});
        return 0;
    });
    EXPECT_TRUE(r.exited_with(0)) << r.describe();
}

TEST(SwitchUser, ErrorsNameTheId) {
    auto r = run_in_child([] {
        switch_user(myrt::spec::User{1000, 1000, std::nullopt, {}});
        switch_user(myrt::spec::User{1000, 0, std::nullopt, {}});  // CAP_SETGID is gone now
        return 0;
    });
    EXPECT_TRUE(r.exited_with(100)) << r.describe();
    EXPECT_NE(r.output.find("setgroups to additional gids []: Operation not permitted"), std::string::npos)
        << r.output;

    // In a user namespace mapping only 0, gid 5 and uid 7 do not exist.
    auto in_userns = [](myrt::spec::User u) {
        return run_in_child([u] {
            if (::unshare(CLONE_NEWUSER) < 0) return 1;
            if (!write_file("/proc/self/setgroups", "deny")) return 2;
            if (!write_file("/proc/self/uid_map", "0 0 1\n")) return 3;
            if (!write_file("/proc/self/gid_map", "0 0 1\n")) return 4;
            switch_user(u);
            return 0;
        });
    };
    auto bad_gid = in_userns(myrt::spec::User{0, 5, std::nullopt, {}});
    EXPECT_TRUE(bad_gid.exited_with(100)) << bad_gid.describe();
    EXPECT_NE(bad_gid.output.find("setresgid to gid 5: Invalid argument"), std::string::npos) << bad_gid.output;
    auto bad_uid = in_userns(myrt::spec::User{7, 0, std::nullopt, {}});
    EXPECT_TRUE(bad_uid.exited_with(100)) << bad_uid.describe();
    EXPECT_NE(bad_uid.output.find("setresuid to uid 7: Invalid argument"), std::string::npos) << bad_uid.output;
}

class ResolveUser : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/myrt-rootfs-XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        root_ = tmpl;
        fs::create_directories(root_ / "etc");
        std::ofstream(root_ / "etc/passwd") << "root:x:0:0:root:/root:/bin/sh\n"
                                               "# a comment\n"
                                               "broken line\n"
                                               "alice:x:1000:1000::/home/alice:/bin/sh\n"
                                               "bob:x:1001:100::/:/bin/sh\n";
        std::ofstream(root_ / "etc/group") << "root:x:0:\n"
                                              "alice:x:1000:\n"
                                              "users:x:100:bob\n"
                                              "wheel:x:10:alice,bob\n"
                                              "audio:x:29:alice\n";
    }
    void TearDown() override { fs::remove_all(root_); }

    std::string error_of(const std::string& spec) {
        try {
            resolve_user(root_, spec);
        } catch (const myrt::Error& e) {
            return e.what();
        }
        return "";
    }

    fs::path root_;
};

TEST_F(ResolveUser, NameGivesUidPrimaryGidAndMemberships) {
    auto u = resolve_user(root_, "alice");
    EXPECT_EQ(u.uid, 1000u);
    EXPECT_EQ(u.gid, 1000u);
    EXPECT_EQ(u.additional_gids, (std::vector<uint32_t>{10, 29}));
}

TEST_F(ResolveUser, NumericUidFindsItsEntry) {
    auto u = resolve_user(root_, "1001");
    EXPECT_EQ(u.uid, 1001u);
    EXPECT_EQ(u.gid, 100u);
    EXPECT_EQ(u.additional_gids, (std::vector<uint32_t>{100, 10}));
}

TEST_F(ResolveUser, NumericIdsWithoutEntriesAreTakenAsTheyAre) {
    auto u = resolve_user(root_, "4242");
    EXPECT_EQ(u.uid, 4242u);
    EXPECT_EQ(u.gid, 0u);
    EXPECT_TRUE(u.additional_gids.empty());
    u = resolve_user(root_, "4242:77");
    EXPECT_EQ(u.uid, 4242u);
    EXPECT_EQ(u.gid, 77u);
}

TEST_F(ResolveUser, ExplicitGroupReplacesPrimaryAndSupplementary) {
    auto u = resolve_user(root_, "alice:users");
    EXPECT_EQ(u.uid, 1000u);
    EXPECT_EQ(u.gid, 100u);
    EXPECT_TRUE(u.additional_gids.empty());
    EXPECT_EQ(resolve_user(root_, "alice:5").gid, 5u);
}

TEST_F(ResolveUser, UnknownNamesAndBadSpecsAreErrors) {
    EXPECT_EQ(error_of("nobody"), "user \"nobody\" is not in " + root_.string() + "/etc/passwd");
    EXPECT_EQ(error_of("alice:staff"), "group \"staff\" is not in " + root_.string() + "/etc/group");
    EXPECT_EQ(error_of(":5"), "user \":5\": the user part is empty");
    EXPECT_EQ(error_of("alice:"), "user \"alice:\": the group part after ':' is empty");
    EXPECT_EQ(error_of("99999999999"), "user \"99999999999\" is not in " + root_.string() + "/etc/passwd");
}

TEST_F(ResolveUser, MissingFilesAllowNumericIdsOnly) {
    fs::remove(root_ / "etc/passwd");
    fs::remove(root_ / "etc/group");
    EXPECT_EQ(resolve_user(root_, "1000:1000").uid, 1000u);
    EXPECT_EQ(error_of("alice"), "user \"alice\" is not in " + root_.string() + "/etc/passwd");
    EXPECT_NE(error_of("1000:wheel").find("group \"wheel\""), std::string::npos);
}

TEST_F(ResolveUser, AbsoluteSymlinksResolveInsideTheRootfs) {
    // /etc/passwd -> /real/passwd must read ROOTFS/real/passwd, never the host's file.
    fs::create_directories(root_ / "real");
    std::ofstream(root_ / "real/passwd") << "carol:x:3000:3000::/:/bin/sh\n";
    fs::remove(root_ / "etc/passwd");
    fs::create_symlink("/real/passwd", root_ / "etc/passwd");
    EXPECT_EQ(resolve_user(root_, "carol").uid, 3000u);
    // A relative escape is clamped at the rootfs too: a file that exists only on the host is not found.
    char host_tmpl[] = "/tmp/myrt-host-passwd-XXXXXX";
    int host_fd = ::mkstemp(host_tmpl);
    ASSERT_GE(host_fd, 0);
    std::string line = "dave:x:5:5::/:/bin/sh\n";
    ASSERT_EQ(::write(host_fd, line.data(), line.size()), static_cast<ssize_t>(line.size()));
    ::close(host_fd);
    fs::remove(root_ / "etc/passwd");
    fs::create_symlink(std::string("../../../../../../..") + host_tmpl, root_ / "etc/passwd");
    EXPECT_EQ(error_of("dave"), "user \"dave\" is not in " + root_.string() + "/etc/passwd");
    fs::remove(host_tmpl);
}

TEST(ResolveUserRootfs, MissingRootfsIsNamed) {
    try {
        resolve_user("/nonexistent/rootfs", "0");
        FAIL();
    } catch (const myrt::Error& e) {
        EXPECT_NE(std::string(e.what()).find("open rootfs /nonexistent/rootfs"), std::string::npos) << e.what();
    }
}

}  // namespace
