#include "cr/transport/uring_writer.hpp"

#include "cr/transport/uring_buffers.hpp"
#include "util/error.hpp"

#include <sys/mman.h>

#include <cstring>

namespace myrt::cr::transport {

namespace {

[[noreturn]] void fail_write(const std::string& name, UringWriter::Target target, int err) {
    if (target == UringWriter::Target::socket && (err == EPIPE || err == ECONNRESET || err == ENOTCONN))
        throw SystemError(err, fmt::format("sending the image to {} failed: the receiver closed the connection", name));
    throw SystemError(err, fmt::format("writing the image to {} failed", name));
}

}  // namespace

UringWriter::UringWriter(int fd, Target target, std::string name, UringBufferConfig config)
    : fd_(fd), target_(target), name_(std::move(name)), config_(config) {
    if (config_.buffer_count < 2 || config_.buffer_size == 0) fail("io_uring writer for {} needs at least two non-empty buffers", name_);
    int rc = io_uring_queue_init(8, &ring_, 0);
    if (rc < 0) throw SystemError(-rc, fmt::format("io_uring setup for {}", name_));
    ring_ready_ = true;
    buffers_ = register_stream_buffers(ring_, config_.buffer_count, config_.buffer_size, free_buffers_, name_);
}

UringWriter::~UringWriter() {
    if (!ring_ready_) return;
    // An op still in flight references our buffers or the caller's memory:
    // wait for it before the ring and the buffers go away.
    while (in_flight_) {
        io_uring_cqe* cqe = nullptr;
        if (io_uring_wait_cqe(&ring_, &cqe) < 0) break;
        io_uring_cqe_seen(&ring_, cqe);
        in_flight_ = false;
    }
    io_uring_queue_exit(&ring_);
}

int UringWriter::take_free_buffer() {
    while (free_buffers_.empty()) pump(true);
    int b = free_buffers_.back();
    free_buffers_.pop_back();
    return b;
}

void UringWriter::write(std::span<const std::byte> data) {
    auto* base = static_cast<std::byte*>(buffers_.data());
    while (!data.empty()) {
        if (filling_ < 0) {
            filling_ = take_free_buffer();
            fill_ = 0;
        }
        size_t n = std::min(data.size(), config_.buffer_size - fill_);
        std::memcpy(base + filling_ * config_.buffer_size + fill_, data.data(), n);
        fill_ += n;
        data = data.subspan(n);
        if (fill_ == config_.buffer_size) queue_filling_buffer();
    }
    pump(false);
}

void UringWriter::queue_filling_buffer() {
    if (filling_ < 0) return;
    if (fill_ == 0) {
        free_buffers_.push_back(filling_);
    } else {
        auto* base = static_cast<std::byte*>(buffers_.data());
        Op op{};
        op.iov[0] = iovec{base + filling_ * config_.buffer_size, fill_};
        op.iovcnt = 1;
        op.buffer = filling_;
        op.seq = next_seq_++;
        queue_.push_back(op);
    }
    filling_ = -1;
    fill_ = 0;
}

void UringWriter::write_unbuffered(std::span<const std::byte> data,
                                   const std::function<void(std::span<const std::byte>)>& while_in_flight) {
    Op op{};
    if (filling_ >= 0 && fill_ > 0) {
        auto* base = static_cast<std::byte*>(buffers_.data());
        op.iov[0] = iovec{base + filling_ * config_.buffer_size, fill_};
        op.iov[1] = iovec{const_cast<std::byte*>(data.data()), data.size()};
        op.iovcnt = 2;
        op.buffer = filling_;
        filling_ = -1;
        fill_ = 0;
    } else {
        queue_filling_buffer();
        op.iov[0] = iovec{const_cast<std::byte*>(data.data()), data.size()};
        op.iovcnt = 1;
        op.buffer = -1;
    }
    uint64_t seq = op.seq = next_seq_++;
    queue_.push_back(op);
    pump(false);
    try {
        if (while_in_flight) while_in_flight(data);
    } catch (...) {
        // The kernel may still be reading the caller's memory: never return before it is done.
        try {
            while (done_seq_ <= seq) pump(true);
        } catch (...) {
        }
        throw;
    }
    while (done_seq_ <= seq) pump(true);
}

void UringWriter::flush() {
    queue_filling_buffer();
    while (!queue_.empty()) pump(true);
}

void UringWriter::submit_front() {
    Op& op = queue_.front();
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    if (!sqe) fail("io_uring submission queue for {} is full", name_);
    // MSG_NOSIGNAL: a vanished receiver must be an error, not a SIGPIPE that
    // kills the checkpoint. MSG_WAITALL: the kernel retries partial sends itself.
    constexpr int send_flags = MSG_NOSIGNAL | MSG_WAITALL;
    if (op.iovcnt == 1 && op.iov[0].iov_len <= (1u << 30)) {
        auto len = static_cast<unsigned>(op.iov[0].iov_len);
        if (target_ == Target::socket)
            io_uring_prep_send(sqe, fd_, op.iov[0].iov_base, len, send_flags);
        else if (op.buffer >= 0)
            io_uring_prep_write_fixed(sqe, fd_, op.iov[0].iov_base, len, file_offset_, op.buffer);
        else
            io_uring_prep_write(sqe, fd_, op.iov[0].iov_base, len, file_offset_);
    } else if (target_ == Target::socket) {
        op.msg = msghdr{};
        op.msg.msg_iov = op.iov;
        op.msg.msg_iovlen = static_cast<size_t>(op.iovcnt);
        io_uring_prep_sendmsg(sqe, fd_, &op.msg, send_flags);
    } else {
        io_uring_prep_writev(sqe, fd_, op.iov, static_cast<unsigned>(op.iovcnt), file_offset_);
    }
    // Inline, a buffered file write completes at submit time, and a send to a
    // full socket bounces through poll and task work in this thread. Punted to
    // an io-wq worker, either blocks there while the producer checksums and
    // fills the next buffer (measured: loopback TCP went from 0.84x of a plain
    // send() loop to >= 1x).
    sqe->flags |= IOSQE_ASYNC;
    int rc = io_uring_submit(&ring_);
    if (rc < 0) throw SystemError(-rc, fmt::format("io_uring submit for {}", name_));
    in_flight_ = true;
}

void UringWriter::complete(int res) {
    in_flight_ = false;
    Op& op = queue_.front();
    if (res < 0) fail_write(name_, target_, -res);
    if (res == 0) fail("writing the image to {} made no progress (the device accepted 0 bytes)", name_);
    auto n = static_cast<size_t>(res);
    file_offset_ += n;
    completed_bytes_ += n;
    if (n < op.remaining()) {  // short write: resubmit the rest before anything queued after it
        for (int i = 0; i < op.iovcnt && n > 0; ++i) {
            size_t take = std::min(n, op.iov[i].iov_len);
            op.iov[i].iov_base = static_cast<std::byte*>(op.iov[i].iov_base) + take;
            op.iov[i].iov_len -= take;
            n -= take;
        }
        if (op.iov[0].iov_len == 0 && op.iovcnt == 2) {
            if (op.buffer >= 0) free_buffers_.push_back(op.buffer);  // its bytes are out
            op.buffer = -1;
            op.iov[0] = op.iov[1];
            op.iovcnt = 1;
        }
        return;
    }
    if (op.buffer >= 0) free_buffers_.push_back(op.buffer);
    done_seq_ = op.seq + 1;
    queue_.pop_front();
}

void UringWriter::pump(bool wait) {
    for (;;) {
        if (!in_flight_ && !queue_.empty()) submit_front();
        if (!in_flight_) return;
        io_uring_cqe* cqe = nullptr;
        int rc = wait ? io_uring_wait_cqe(&ring_, &cqe) : io_uring_peek_cqe(&ring_, &cqe);
        if (rc == -EAGAIN && !wait) return;
        if (rc == -EINTR) continue;
        if (rc < 0) throw SystemError(-rc, fmt::format("waiting for io_uring completion on {}", name_));
        int res = cqe->res;
        io_uring_cqe_seen(&ring_, cqe);
        complete(res);
        if (wait) return;
    }
}

}  // namespace myrt::cr::transport
