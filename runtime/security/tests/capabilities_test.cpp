#include "runtime/security/capabilities.hpp"

#include <gtest/gtest.h>
#include <sys/prctl.h>

#include "runtime/security/tests/child_process.hpp"
#include "runtime/security/user.hpp"
#include "util/error.hpp"

using namespace myrt::security;
using myrt::testing::run_in_child;

namespace {

constexpr uint64_t bit(int cap) { return uint64_t{1} << cap; }
constexpr int kChown = 0, kKill = 5, kSetgid = 6, kSetuid = 7, kNetBind = 10, kNetRaw = 13, kSysAdmin = 21;

TEST(CapabilityNames, KnownNumbers) {
    EXPECT_EQ(cap_from_name("CAP_CHOWN"), 0);
    EXPECT_EQ(cap_from_name("CAP_SYS_ADMIN"), 21);
    EXPECT_EQ(cap_from_name("cap_sys_admin"), 21);
    EXPECT_EQ(cap_from_name("CAP_AUDIT_READ"), 37);
    EXPECT_EQ(cap_from_name("CAP_CHECKPOINT_RESTORE"), 40);
    EXPECT_EQ(cap_from_name("CAP_NOPE"), std::nullopt);
    EXPECT_EQ(cap_from_name("SYS_ADMIN"), std::nullopt);
}

TEST(CapabilityNames, RoundTripInNumberOrder) {
    auto names = cap_names();
    ASSERT_EQ(names.size(), 41u);
    for (size_t i = 0; i < names.size(); ++i) EXPECT_EQ(cap_from_name(names[i]), static_cast<int>(i)) << names[i];
}

TEST(CapabilityNames, TableCoversTheRunningKernel) {
    EXPECT_GE(static_cast<int>(cap_names().size()) - 1, kernel_last_cap());
    EXPECT_GE(kernel_last_cap(), 40);  // 6.x kernels know CAP_CHECKPOINT_RESTORE
}

TEST(CapabilityNames, MaskAndUnknownNames) {
    EXPECT_EQ(cap_mask({"CAP_KILL", "CAP_NET_BIND_SERVICE"}), bit(kKill) | bit(kNetBind));
    EXPECT_EQ(cap_mask({}), 0u);
    try {
        cap_mask({"CAP_KILL", "CAP_TELEPORT"});
        FAIL() << "no error";
    } catch (const myrt::Error& e) {
        EXPECT_STREQ(e.what(), "unknown capability \"CAP_TELEPORT\"");
    }
}

TEST(Capabilities, ReadCapabilitiesOfThisProcess) {
    auto sets = read_capabilities(0);
    auto same = read_capabilities(::getpid());
    EXPECT_EQ(sets.bounding, same.bounding);
    EXPECT_NE(sets.bounding & bit(kChown), 0u);  // the test runs as root
}

// The full runc sequence, as a non-root user: bounding drop, keep caps, uid change, capset, ambient.
TEST(Capabilities, DropSwitchUserApplyGivesExactSets) {
    myrt::spec::Capabilities caps;
    caps.bounding = {"CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW", "CAP_FROM_THE_FUTURE"};
    caps.permitted = {"CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"};
    caps.effective = {"CAP_KILL", "CAP_NET_BIND_SERVICE"};
    caps.inheritable = {"CAP_KILL", "CAP_NET_BIND_SERVICE"};
    caps.ambient = {"CAP_NET_BIND_SERVICE"};
    auto r = run_in_child([&] {
        drop_bounding_set(caps);
        keep_caps_before_setuid();
        switch_user(myrt::spec::User{1000, 1000, std::nullopt, {}});
        apply_capabilities(caps);
        auto s = read_capabilities(0);
        if (s.bounding != (bit(kChown) | bit(kKill) | bit(kNetBind) | bit(kNetRaw))) return 1;
        if (s.permitted != (bit(kChown) | bit(kKill) | bit(kNetBind))) return 2;
        if (s.effective != (bit(kKill) | bit(kNetBind))) return 3;
        if (s.inheritable != (bit(kKill) | bit(kNetBind))) return 4;
        if (s.ambient != bit(kNetBind)) return 5;
        if (::prctl(PR_GET_KEEPCAPS) != 0) return 6;  // reset after the uid change
        return 0;
    });
    EXPECT_TRUE(r.exited_with(0)) << r.describe();
}

TEST(Capabilities, AmbientSurvivesExecAsNonRoot) {
    myrt::spec::Capabilities caps;
    caps.bounding = caps.permitted = caps.effective = caps.inheritable = caps.ambient = {"CAP_NET_RAW"};
    auto r = run_in_child([&] {
        drop_bounding_set(caps);
        keep_caps_before_setuid();
        switch_user(myrt::spec::User{1000, 1000, std::nullopt, {}});
        apply_capabilities(caps);
        ::dup2(2, 1);  // the parent captures stderr only
        const char* argv[] = {"grep", "^Cap", "/proc/self/status", nullptr};
        ::execv("/bin/grep", const_cast<char* const*>(argv));
        return 99;
    });
    ASSERT_TRUE(r.exited_with(0)) << r.describe();
    // After execve as uid 1000, only the ambient set carries capabilities into permitted/effective.
    EXPECT_NE(r.output.find("CapPrm:\t0000000000002000"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("CapEff:\t0000000000002000"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("CapAmb:\t0000000000002000"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("CapBnd:\t0000000000002000"), std::string::npos) << r.output;
}

TEST(Capabilities, AmbientThatIsNotInheritableIsSkippedLikeRunc) {
    // runc's default config lists ambient capabilities but no inheritable ones.
    myrt::spec::Capabilities caps;
    caps.bounding = caps.permitted = caps.effective = caps.ambient = {"CAP_AUDIT_WRITE", "CAP_KILL",
                                                                      "CAP_NET_BIND_SERVICE"};
    auto r = run_in_child([&] {
        drop_bounding_set(caps);
        apply_capabilities(caps);
        auto s = read_capabilities(0);
        if (s.ambient != 0 || s.inheritable != 0) return 1;
        if (s.effective != (bit(29) | bit(kKill) | bit(kNetBind))) return 2;
        return 0;
    });
    EXPECT_TRUE(r.exited_with(0)) << r.describe();
}

TEST(Capabilities, WithoutKeepCapsTheUidChangeLosesThemAndCapsetSaysWhich) {
    myrt::spec::Capabilities caps;
    caps.bounding = caps.permitted = caps.effective = {"CAP_KILL"};
    auto r = run_in_child([&] {
        drop_bounding_set(caps);
        switch_user(myrt::spec::User{1000, 1000, std::nullopt, {}});
        apply_capabilities(caps);
        return 0;
    });
    EXPECT_TRUE(r.exited_with(100)) << r.describe();
    EXPECT_NE(r.output.find("capset effective=CAP_KILL permitted=CAP_KILL inheritable=none: Operation not permitted"),
              std::string::npos)
        << r.output;
}

TEST(Capabilities, EmptyBoundingDropsEverything) {
    auto r = run_in_child([&] {
        drop_bounding_set(myrt::spec::Capabilities{});
        apply_capabilities(myrt::spec::Capabilities{});
        auto s = read_capabilities(0);
        return (s.bounding | s.effective | s.permitted | s.inheritable | s.ambient) == 0 ? 0 : 1;
    });
    EXPECT_TRUE(r.exited_with(0)) << r.describe();
    (void)kSetgid;
    (void)kSetuid;
    (void)kSysAdmin;
}

}  // namespace
