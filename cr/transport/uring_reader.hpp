#pragma once
// Sequential reads from one fd through io_uring into registered buffers: one
// read is always in flight ahead of the consumer (read-ahead), and buffers are
// recycled, so reading a 4 GiB image needs a few MiB.
#include "cr/transport/uring_writer.hpp"

#include <liburing.h>

#include <cstdint>
#include <deque>
#include <span>
#include <string>
#include <vector>

namespace myrt::cr::transport {

class UringReader {
public:
    UringReader(int fd, UringWriter::Target target, std::string name, UringBufferConfig config = {});
    ~UringReader();
    UringReader(const UringReader&) = delete;
    UringReader& operator=(const UringReader&) = delete;

    // Up to `max` bytes from the stream, valid until the next call; empty at end of stream.
    std::span<const std::byte> read_chunk(size_t max);

private:
    struct Filled {
        int buffer;
        size_t len;
    };
    void submit_reads();
    void wait_one();
    std::byte* buffer_at(int i) const { return static_cast<std::byte*>(buffers_.data()) + i * config_.buffer_size; }

    int fd_;
    UringWriter::Target target_;
    std::string name_;
    UringBufferConfig config_;
    io_uring ring_{};
    bool ring_ready_ = false;
    Mapping buffers_;
    std::vector<int> free_buffers_;
    std::deque<Filled> filled_;
    int in_flight_buffer_ = -1;
    int current_ = -1;         // buffer the consumer is reading
    size_t current_len_ = 0;
    size_t current_pos_ = 0;
    uint64_t file_offset_ = 0;
    bool eof_ = false;
};

}  // namespace myrt::cr::transport
