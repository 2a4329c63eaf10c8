#include "cr/transport/uring_writer.hpp"

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
    size_t total = config_.buffer_size * config_.buffer_count;
    void* mem = ::mmap(nullptr, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) throw_errno("allocating {} bytes of stream buffers for {}", total, name_);
    buffers_ = Mapping(mem, total);
    std::vector<iovec> iov(config_.buffer_count);
    for (unsigned i = 0; i < config_.buffer_count; ++i) {
        iov[i].iov_base = static_cast<char*>(mem) + i * config_.buffer_size;
        iov[i].iov_len = config_.buffer_size;
        free_buffers_.push_back(static_cast<int>(config_.buffer_count - 1 - i));
    }
    rc = io_uring_register_buffers(&ring_, iov.data(), static_cast<unsigned>(iov.size()));
    if (rc < 0) {
        io_uring_queue_exit(&ring_);
        throw SystemError(-rc, fmt::format("registering io_uring buffers for {}", name_));
    }
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
        queue_.push_back(Op{base + filling_ * config_.buffer_size, fill_, filling_, next_seq_++});
    }
    filling_ = -1;
    fill_ = 0;
}

void UringWriter::write_unbuffered(std::span<const std::byte> data,
                                   const std::function<void(std::span<const std::byte>)>& while_in_flight) {
    queue_filling_buffer();
    uint64_t seq = next_seq_++;
    queue_.push_back(Op{data.data(), data.size(), -1, seq});
    pump(false);
    if (while_in_flight) while_in_flight(data);
    while (done_seq_ <= seq) pump(true);
}

void UringWriter::flush() {
    queue_filling_buffer();
    while (!queue_.empty()) pump(true);
}

void UringWriter::submit_front() {
    const Op& op = queue_.front();
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    if (!sqe) fail("io_uring submission queue for {} is full", name_);
    unsigned len = static_cast<unsigned>(std::min<size_t>(op.len, 1u << 30));
    if (target_ == Target::socket) {
        // MSG_NOSIGNAL: a vanished receiver must be an error, not a SIGPIPE that kills the checkpoint.
        io_uring_prep_send(sqe, fd_, op.data, len, MSG_NOSIGNAL | MSG_WAITALL);
    } else if (op.buffer >= 0) {
        io_uring_prep_write_fixed(sqe, fd_, op.data, len, file_offset_, op.buffer);
    } else {
        io_uring_prep_write(sqe, fd_, op.data, len, file_offset_);
    }
    // Buffered file writes complete inline at submit time; punting them to an
    // io-wq worker lets the producer fill the next buffer on the other core.
    if (target_ == Target::file) sqe->flags |= IOSQE_ASYNC;
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
    if (n < op.len) {  // short write: resubmit the rest before anything queued after it
        op.data += n;
        op.len -= n;
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
