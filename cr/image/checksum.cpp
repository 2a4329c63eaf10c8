#include "cr/image/checksum.hpp"

#include "util/error.hpp"

#include <xxhash.h>

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
    if (!data.empty()) XXH3_64bits_update(state_.get(), data.data(), data.size());
}

uint64_t StreamChecksum::digest() const { return XXH3_64bits_digest(state_.get()); }

}  // namespace myrt::cr::image
