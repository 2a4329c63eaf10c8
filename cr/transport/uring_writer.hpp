#pragma once
// Ordered writes to one fd through io_uring. Small writes are copied into a
// small set of registered buffers; large ones are handed off without a copy
// (write_borrowed) and stay the caller's until released. Several writes are
// in flight at once, so a producer fills its next buffer while the kernel
// drains the previous ones; when every buffer is queued the producer waits,
// which is the back-pressure that keeps memory bounded whatever the stream's size.
#include "util/fd.hpp"

#include <liburing.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <span>
#include <string>
#include <vector>

namespace myrt::cr::transport {

struct UringBufferConfig {
    size_t buffer_size = 1 << 20;
    unsigned buffer_count = 4;
};

class UringWriter {
public:
    enum class Target { file, socket };

    // `fd` stays owned by the caller. `name` appears in error messages.
    UringWriter(int fd, Target target, std::string name, UringBufferConfig config = {});
    ~UringWriter();
    UringWriter(const UringWriter&) = delete;
    UringWriter& operator=(const UringWriter&) = delete;

    void write(std::span<const std::byte> data);
    // Queues `data` after everything written so far without copying it and
    // returns a ticket: the kernel may read `data` until wait_released(ticket).
    uint64_t write_borrowed(std::span<const std::byte> data);
    // Returns once the write of `ticket` and of every earlier one is complete.
    void wait_released(uint64_t ticket);
    void write_unbuffered(std::span<const std::byte> data,
                          const std::function<void(std::span<const std::byte>)>& while_in_flight);
    // Submits the partly filled buffer and waits until every byte has been accepted by the kernel.
    void flush();
    uint64_t bytes_written() const { return completed_bytes_; }

private:
    // One submission: a buffered part, an unbuffered part, or both, so a
    // record header and its bulk payload leave in one system call.
    struct Op {
        enum class State { queued, in_flight, done };
        iovec iov[2];
        int iovcnt;
        int buffer;       // registered buffer held by iov[0], or -1
        uint64_t seq;
        uint64_t offset;  // file offset of the first byte still to write (files)
        State state;
        msghdr msg;       // for sendmsg: points at iov
        size_t remaining() const { return iov[0].iov_len + (iovcnt > 1 ? iov[1].iov_len : 0); }
    };

    uint64_t queue_op(Op op);
    void queue_filling_buffer();
    void pump(bool wait);
    void submit_ready();
    void prep(Op& op, io_uring_sqe* sqe);
    void complete(uint64_t seq, int res);
    int take_free_buffer();
    uint64_t done_seq() const { return ops_.empty() ? next_seq_ : ops_.front().seq; }

    int fd_;
    Target target_;
    std::string name_;
    UringBufferConfig config_;
    io_uring ring_{};
    bool ring_ready_ = false;
    Mapping buffers_;
    std::vector<int> free_buffers_;
    int filling_ = -1;
    size_t fill_ = 0;
    std::deque<Op> ops_;       // seq order; the front is the oldest op not yet complete
    unsigned in_flight_ = 0;
    uint64_t next_seq_ = 0;
    uint64_t next_offset_ = 0;  // file offset the next queued op starts at
    uint64_t completed_bytes_ = 0;
};

}  // namespace myrt::cr::transport
