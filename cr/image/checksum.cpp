#include "cr/image/checksum.hpp"

#include "util/error.hpp"

#include <xxhash.h>
#if defined(__x86_64__)
// libxxhash picks SSE2, AVX2 or AVX-512 at run time here; the plain entry
// point is SSE2 only, about half the speed on this machine.
#include <xxh_x86dispatch.h>
#define MYRT_XXH3_UPDATE XXH3_64bits_update_dispatch
#else
#define MYRT_XXH3_UPDATE XXH3_64bits_update
#endif

namespace myrt::cr::image {

void StreamChecksum::StateDeleter::operator()(XXH3_state_s* s) const { XXH3_freeState(s); }

StreamChecksum::StreamChecksum() : state_(XXH3_createState()) {
    if (!state_) fail("cannot allocate the stream checksum state");
    XXH3_64bits_reset(state_.get());
}
StreamChecksum::~StreamChecksum() = default;
StreamChecksum::StreamChecksum(StreamChecksum&&) noexcept = default;
StreamChecksum& StreamChecksum::operator=(StreamChecksum&&) noexcept = default;

void StreamChecksum::update(std::span<const std::byte> data) {
    if (!data.empty()) MYRT_XXH3_UPDATE(state_.get(), data.data(), data.size());
}

uint64_t StreamChecksum::digest() const { return XXH3_64bits_digest(state_.get()); }

}  // namespace myrt::cr::image
