// OCI resources are shaped after cgroup v1; these are the v2 equivalents runc uses.
#include <cmath>

#include "runtime/cgroup/cgroup.hpp"
#include "util/error.hpp"

namespace myrt::cgroup {

// v1 shares span [2, 262144] with 1024 the default; v2 weight spans [1, 10000] with 100 the
// default. A quadratic in log2(shares) maps the three points exactly (runc's current formula;
// the older linear one turned the default 1024 into 39).
uint64_t cpu_shares_to_weight(uint64_t shares) {
    if (shares == 0) return 0;
    if (shares <= 2) return 1;
    if (shares >= 262144) return 10000;
    double l = std::log2(static_cast<double>(shares));
    double exponent = (l * l + 125 * l) / 612.0 - 7.0 / 34.0;
    return static_cast<uint64_t>(std::ceil(std::pow(10.0, exponent)));
}

// blkio weight [10, 1000] maps linearly onto io.weight [1, 10000].
uint64_t blkio_weight_to_io_weight(uint64_t weight) {
    if (weight == 0) return 0;
    if (weight < 10 || weight > 1000) fail("linux.resources.blockIO.weight {} is outside 10..1000", weight);
    return 1 + (weight - 10) * 9999 / 990;
}

int64_t memory_swap_to_v2(int64_t swap, int64_t memory) {
    if (memory == -1 && swap == 0) return -1;  // unlimited memory with swap unset: unlimited swap too
    if (swap == -1 || swap == 0) return swap;
    if (memory == -1) return swap;
    if (memory == 0) fail("linux.resources.memory.swap {} needs a memory limit: cgroup v2 limits swap apart from memory", swap);
    if (memory < 0) fail("linux.resources.memory.limit {} is invalid", memory);
    if (swap < memory)
        fail("linux.resources.memory.swap {} must be at least memory.limit {} (it counts memory plus swap)", swap, memory);
    return swap - memory;
}

}  // namespace myrt::cgroup
