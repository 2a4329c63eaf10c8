#pragma once
// The stream checksum: XXH3-64, streamed. Chosen over CRC32C because it runs
// at tens of GB/s on one core, so it never becomes the bottleneck of a 4+ GB/s
// stream (measured by stream_bench). xxHash is compiled in from Debian's
// libxxhash-dev header (XXH_INLINE_ALL), with the AVX2 and AVX-512 variants
// of the bulk update picked at run time (checksum_update_x86.hpp): myrt links
// statically, and Debian's static archive lacks that dispatch.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

namespace myrt::cr::image {

class StreamChecksum {
public:
    StreamChecksum();
    ~StreamChecksum();
    StreamChecksum(StreamChecksum&&) noexcept;
    StreamChecksum& operator=(StreamChecksum&&) noexcept;
    void update(std::span<const std::byte> data);
    uint64_t digest() const;
    void reset();  // back to the empty stream

private:
    struct State;
    std::unique_ptr<State> state_;
};

// TAIL's pages checksum (image format 3): XXH3-64 over the XXH3-64 digests
// (8 bytes each, little-endian) of every PAGES record's contents, in record
// order. Each record hashes on its own, so a restore can read and hash
// records on several threads and fold their digests in order afterwards.
class PagesChecksum {
public:
    StreamChecksum& record() { return record_; }  // the current record's contents go here
    void end_record();                              // folds the current record's digest
    void fold(uint64_t record_digest);              // a record hashed elsewhere
    uint64_t digest() const { return of_records_.digest(); }

private:
    StreamChecksum record_;
    StreamChecksum of_records_;
};

}  // namespace myrt::cr::image
