#pragma once
// Sequential reads from one fd through io_uring into registered buffers, ahead
// of the consumer (read-ahead), and buffers are recycled, so reading a 4 GiB
// image needs a few MiB. A socket has one receive in flight (its bytes must
// stay in order); a file has every free buffer in flight, each read at its
// own offset, run by an io-wq worker so that the kernel's copy out of the
// page cache overlaps the consumer (checksumming, or copying into a task).
// Anything else given as a file (a pipe, a terminal) is read like a socket.
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
    // Whether skip() can seek: a regular file.
    bool seekable() const noexcept { return regular_file_; }
    // Passes over `n` bytes of a regular file, seeking past what is not read
    // ahead yet. Returns fewer only at end of file.
    uint64_t skip(uint64_t n);

private:
    struct Filled {
        int buffer;
        size_t len;
    };
    struct InFlight {
        int buffer;
        int result = 0;
        bool done = false;
    };
    void submit_reads();
    void wait_one();
    void retire_completed();
    void take_first_filled();  // the oldest filled buffer becomes the one being consumed
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
    std::deque<InFlight> in_flight_;  // in submission (stream) order
    int current_ = -1;         // buffer the consumer is reading
    size_t current_len_ = 0;
    size_t current_pos_ = 0;
    uint64_t file_offset_ = 0;
    bool eof_ = false;
    bool regular_file_ = false;  // reads ahead at offsets, several at once
    bool sequential_ = true;     // false from a skip until a buffer has been read through
    std::vector<size_t> requested_;  // per buffer: the length of the read it is filled by
};

}  // namespace myrt::cr::transport
