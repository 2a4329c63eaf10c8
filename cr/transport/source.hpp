#pragma once
// Where an image stream comes from. Reads are sequential; `read_chunk` hands
// out a view into the source's own buffer so bulk data (page contents) can be
// consumed in pieces without a second copy or a whole-image allocation.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>

namespace myrt::cr::transport {

class Source {
public:
    virtual ~Source() = default;

    // Returns up to `max` bytes, valid until the next call; empty means end of stream.
    virtual std::span<const std::byte> read_chunk(size_t max) = 0;

    // Copies up to out.size() bytes; returns 0 only at end of stream.
    size_t read_some(std::span<std::byte> out) {
        auto chunk = read_chunk(out.size());
        if (!chunk.empty()) std::memcpy(out.data(), chunk.data(), chunk.size());
        return chunk.size();
    }

    // Passes over up to `n` bytes; returns how many (fewer only at end of
    // stream). A file source seeks instead of reading.
    virtual uint64_t skip(uint64_t n) {
        uint64_t done = 0;
        while (done < n) {
            auto chunk = read_chunk(static_cast<size_t>(std::min<uint64_t>(n - done, 1 << 20)));
            if (chunk.empty()) break;
            done += chunk.size();
        }
        return done;
    }

    virtual std::string describe() const = 0;
};

}  // namespace myrt::cr::transport
