#pragma once
// The stream checksum: XXH3-64, streamed. Chosen over CRC32C because it runs
// at tens of GB/s on one core without hardware-specific code paths, so it
// never becomes the bottleneck of a 4+ GB/s stream (measured by stream_bench).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

struct XXH3_state_s;

namespace myrt::cr::image {

class StreamChecksum {
public:
    StreamChecksum();
    ~StreamChecksum();
    StreamChecksum(StreamChecksum&&) noexcept;
    StreamChecksum& operator=(StreamChecksum&&) noexcept;
    void update(std::span<const std::byte> data);
    uint64_t digest() const;

private:
    struct StateDeleter {
        void operator()(XXH3_state_s* s) const;
    };
    std::unique_ptr<XXH3_state_s, StateDeleter> state_;
};

}  // namespace myrt::cr::image
