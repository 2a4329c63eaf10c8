#include <gtest/gtest.h>

#include "runtime/cgroup/cgroup.hpp"
#include "util/error.hpp"

using namespace myrt::cgroup;

TEST(Convert, CpuSharesToWeightKeepsMinDefaultMax) {
    EXPECT_EQ(cpu_shares_to_weight(0), 0u);  // unset stays unset
    EXPECT_EQ(cpu_shares_to_weight(2), 1u);
    EXPECT_EQ(cpu_shares_to_weight(1024), 100u);
    EXPECT_EQ(cpu_shares_to_weight(262144), 10000u);
    EXPECT_LT(cpu_shares_to_weight(512), 100u);
    EXPECT_GT(cpu_shares_to_weight(2048), 100u);
}

TEST(Convert, BlkioWeightIsLinear) {
    EXPECT_EQ(blkio_weight_to_io_weight(10), 1u);
    EXPECT_EQ(blkio_weight_to_io_weight(1000), 10000u);
    EXPECT_EQ(blkio_weight_to_io_weight(500), 1u + 490u * 9999u / 990u);
    EXPECT_THROW(blkio_weight_to_io_weight(5), myrt::Error);
}

TEST(Convert, SwapIsMemoryPlusSwapInOci) {
    EXPECT_EQ(memory_swap_to_v2(200, 100), 100);
    EXPECT_EQ(memory_swap_to_v2(100, 100), 0);  // no swap at all
    EXPECT_EQ(memory_swap_to_v2(-1, 100), -1);
    EXPECT_EQ(memory_swap_to_v2(0, -1), -1);
    EXPECT_EQ(memory_swap_to_v2(0, 100), 0);
    EXPECT_EQ(memory_swap_to_v2(300, -1), 300);
    EXPECT_THROW(memory_swap_to_v2(50, 100), myrt::Error);
    EXPECT_THROW(memory_swap_to_v2(50, 0), myrt::Error);
}
