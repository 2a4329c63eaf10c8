#pragma once
// XXH3's bulk update built for wider vector units. Each variant lives in its
// own translation unit compiled with its -m flag, and that unit includes
// nothing but xxhash.h: a C++ inline function compiled there could be the
// copy the linker keeps, and then run on a CPU without those instructions.
#define XXH_INLINE_ALL
#include <xxhash.h>

namespace myrt::cr::image::detail {

void xxh3_update_avx2(XXH3_state_t* state, const void* data, size_t len);
void xxh3_update_avx512(XXH3_state_t* state, const void* data, size_t len);

}  // namespace myrt::cr::image::detail
