#include "cr/image/checksum.hpp"

#include <bit>

#if defined(__x86_64__)
#include "cr/image/checksum_update_x86.hpp"
#else
#define XXH_INLINE_ALL
#include <xxhash.h>
#endif

namespace myrt::cr::image {
namespace {

using UpdateFn = void (*)(XXH3_state_t*, const void*, size_t);

void update_baseline(XXH3_state_t* state, const void* data, size_t len) { XXH3_64bits_update(state, data, len); }

// Every variant computes the same hash; they differ only in speed (SSE2 is
// about half of AVX2's on this machine's class of CPU).
UpdateFn pick_update() {
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return detail::xxh3_update_avx512;
    if (__builtin_cpu_supports("avx2")) return detail::xxh3_update_avx2;
#endif
    return update_baseline;
}

const UpdateFn update_fn = pick_update();

}  // namespace

struct StreamChecksum::State {
    XXH3_state_t xxh;  // 64-byte aligned by its own declaration
};

StreamChecksum::StreamChecksum() : state_(std::make_unique<State>()) { XXH3_64bits_reset(&state_->xxh); }
StreamChecksum::~StreamChecksum() = default;
StreamChecksum::StreamChecksum(StreamChecksum&&) noexcept = default;
StreamChecksum& StreamChecksum::operator=(StreamChecksum&&) noexcept = default;

void StreamChecksum::update(std::span<const std::byte> data) {
    if (!data.empty()) update_fn(&state_->xxh, data.data(), data.size());
}

uint64_t StreamChecksum::digest() const { return XXH3_64bits_digest(&state_->xxh); }

void StreamChecksum::reset() { XXH3_64bits_reset(&state_->xxh); }

void PagesChecksum::end_record() {
    fold(record_.digest());
    record_.reset();
}

void PagesChecksum::fold(uint64_t record_digest) {
    static_assert(std::endian::native == std::endian::little, "image integers are little-endian");
    of_records_.update(std::as_bytes(std::span(&record_digest, 1)));
}

}  // namespace myrt::cr::image
