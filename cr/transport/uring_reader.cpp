#include "cr/transport/uring_reader.hpp"

#include "cr/transport/uring_buffers.hpp"
#include "util/error.hpp"

#include <sys/mman.h>
#include <sys/socket.h>

namespace myrt::cr::transport {

UringReader::UringReader(int fd, UringWriter::Target target, std::string name, UringBufferConfig config)
    : fd_(fd), target_(target), name_(std::move(name)), config_(config) {
    if (config_.buffer_count < 2 || config_.buffer_size == 0) fail("io_uring reader for {} needs at least two non-empty buffers", name_);
    int rc = io_uring_queue_init(8, &ring_, 0);
    if (rc < 0) throw SystemError(-rc, fmt::format("io_uring setup for {}", name_));
    ring_ready_ = true;
    buffers_ = register_stream_buffers(ring_, config_.buffer_count, config_.buffer_size, free_buffers_, name_);
}

UringReader::~UringReader() {
    if (!ring_ready_) return;
    if (in_flight_buffer_ >= 0) {
        io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
        if (sqe) {  // a receive can wait forever on a silent peer: cancel it
            io_uring_prep_cancel64(sqe, 0, IORING_ASYNC_CANCEL_ANY);
            io_uring_submit(&ring_);
        }
        for (int pending = sqe ? 2 : 1; pending > 0; --pending) {
            io_uring_cqe* cqe = nullptr;
            if (io_uring_wait_cqe(&ring_, &cqe) < 0) break;
            io_uring_cqe_seen(&ring_, cqe);
        }
    }
    io_uring_queue_exit(&ring_);
}

void UringReader::submit_reads() {
    // One read at a time keeps a socket's bytes in order; the read-ahead still
    // overlaps the kernel's copy with the consumer's parsing.
    if (eof_ || in_flight_buffer_ >= 0 || free_buffers_.empty()) return;
    int b = free_buffers_.back();
    free_buffers_.pop_back();
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    if (!sqe) fail("io_uring submission queue for {} is full", name_);
    auto len = static_cast<unsigned>(config_.buffer_size);
    if (target_ == UringWriter::Target::socket)
        io_uring_prep_recv(sqe, fd_, buffer_at(b), len, MSG_WAITALL);
    else
        io_uring_prep_read_fixed(sqe, fd_, buffer_at(b), len, file_offset_, b);
    int rc = io_uring_submit(&ring_);
    if (rc < 0) throw SystemError(-rc, fmt::format("io_uring submit for {}", name_));
    in_flight_buffer_ = b;
}

void UringReader::wait_one() {
    io_uring_cqe* cqe = nullptr;
    int rc;
    do rc = io_uring_wait_cqe(&ring_, &cqe);
    while (rc == -EINTR);
    if (rc < 0) throw SystemError(-rc, fmt::format("waiting for io_uring completion on {}", name_));
    int res = cqe->res;
    io_uring_cqe_seen(&ring_, cqe);
    int b = in_flight_buffer_;
    in_flight_buffer_ = -1;
    if (res < 0) {
        free_buffers_.push_back(b);
        if (res == -ECONNRESET) throw SystemError(-res, fmt::format("receiving the image from {} failed: the sender reset the connection", name_));
        throw SystemError(-res, fmt::format("reading the image from {} failed", name_));
    }
    if (res == 0) {
        eof_ = true;
        free_buffers_.push_back(b);
        return;
    }
    file_offset_ += static_cast<uint64_t>(res);
    filled_.push_back(Filled{b, static_cast<size_t>(res)});
}

std::span<const std::byte> UringReader::read_chunk(size_t max) {
    if (max == 0) return {};
    while (current_ < 0 || current_pos_ == current_len_) {
        if (current_ >= 0) {
            free_buffers_.push_back(current_);
            current_ = -1;
        }
        submit_reads();
        if (filled_.empty()) {
            if (in_flight_buffer_ < 0) return {};  // end of stream
            wait_one();
            continue;
        }
        current_ = filled_.front().buffer;
        current_len_ = filled_.front().len;
        current_pos_ = 0;
        filled_.pop_front();
        submit_reads();  // read ahead while the consumer works on this buffer
    }
    size_t n = std::min(max, current_len_ - current_pos_);
    std::span<const std::byte> out(buffer_at(current_) + current_pos_, n);
    current_pos_ += n;
    return out;
}

}  // namespace myrt::cr::transport
