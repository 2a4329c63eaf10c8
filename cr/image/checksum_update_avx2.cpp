// Built with -mavx2 (cr/image/CMakeLists.txt); see checksum_update_x86.hpp.
#include "cr/image/checksum_update_x86.hpp"

void myrt::cr::image::detail::xxh3_update_avx2(XXH3_state_t* state, const void* data, size_t len) {
    XXH3_64bits_update(state, data, len);
}
