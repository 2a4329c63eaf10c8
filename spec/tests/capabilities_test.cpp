#include <gtest/gtest.h>
#include <linux/capability.h>

#include <fstream>

#include "spec/capabilities_table.hpp"

using namespace myrt::spec;

TEST(Capabilities, NumbersMatchKernelHeader) {
    EXPECT_EQ(capability_number("CAP_CHOWN"), CAP_CHOWN);
    EXPECT_EQ(capability_number("CAP_NET_BIND_SERVICE"), CAP_NET_BIND_SERVICE);
    EXPECT_EQ(capability_number("CAP_SYS_ADMIN"), CAP_SYS_ADMIN);
    EXPECT_EQ(capability_number("CAP_AUDIT_WRITE"), CAP_AUDIT_WRITE);
    EXPECT_EQ(capability_number("CAP_PERFMON"), CAP_PERFMON);
    EXPECT_EQ(capability_number("CAP_BPF"), CAP_BPF);
    EXPECT_EQ(capability_number("CAP_CHECKPOINT_RESTORE"), 40);
}

TEST(Capabilities, UnknownNamesRejected) {
    EXPECT_FALSE(capability_number("CAP_FLY"));
    EXPECT_FALSE(capability_number("cap_chown"));
    EXPECT_FALSE(capability_number("CHOWN"));
    EXPECT_FALSE(capability_number(""));
}

TEST(Capabilities, AllNamesInNumberOrderAndInverse) {
    auto& names = all_capability_names();
    ASSERT_EQ(names.size(), 41u);
    EXPECT_EQ(last_capability_number(), CAP_LAST_CAP);
    for (size_t i = 0; i < names.size(); ++i) {
        EXPECT_EQ(capability_number(names[i]), static_cast<int>(i)) << names[i];
        EXPECT_EQ(capability_name(static_cast<int>(i)), names[i]);
    }
    EXPECT_FALSE(capability_name(-1));
    EXPECT_FALSE(capability_name(41));
}

TEST(Capabilities, KernelKnowsEveryCapability) {
    // /proc/sys/kernel/cap_last_cap is the running kernel's highest number.
    std::ifstream in("/proc/sys/kernel/cap_last_cap");
    int kernel_last = -1;
    in >> kernel_last;
    ASSERT_GE(kernel_last, 0);
    EXPECT_GE(kernel_last, last_capability_number());
}
