#include "cr/transport/uring_writer.hpp"

#include "cr/transport/uring_buffers.hpp"
#include "util/error.hpp"

#include <sys/mman.h>

#include <cstring>

namespace myrt::cr::transport {

namespace {

// Writes in flight at once. A file takes them all (io_uring runs the writes of
// one regular file in order, one after another, in a single worker); a socket
// takes them as one linked chain, so its bytes can never interleave.
constexpr unsigned max_in_flight = 16;
constexpr unsigned ring_entries = 2 * max_in_flight;

[[noreturn]] void fail_write(const std::string& name, UringWriter::Target target, int err) {
    if (target == UringWriter::Target::socket && (err == EPIPE || err == ECONNRESET || err == ENOTCONN))
        throw SystemError(err, fmt::format("sending the image to {} failed: the receiver closed the connection", name));
    throw SystemError(err, fmt::format("writing the image to {} failed", name));
}

}  // namespace

UringWriter::UringWriter(int fd, Target target, std::string name, UringBufferConfig config)
    : fd_(fd), target_(target), name_(std::move(name)), config_(config) {
    if (config_.buffer_count < 2 || config_.buffer_size == 0) fail("io_uring writer for {} needs at least two non-empty buffers", name_);
    int rc = io_uring_queue_init(ring_entries, &ring_, 0);
    if (rc < 0) throw SystemError(-rc, fmt::format("io_uring setup for {}", name_));
    ring_ready_ = true;
    {
        // One io-wq worker. Writes to one file serialize on its inode lock:
        // with several workers, all but one spin on it (measured: a fifth of
        // the CPU time to tmpfs). A socket's linked sends run one at a time
        // anyway; a second worker only adds a wake-up between them.
        unsigned workers[2] = {1, 1};  // bounded (regular files), unbounded (sockets)
        (void)io_uring_register_iowq_max_workers(&ring_, workers);
    }
    buffers_ = register_stream_buffers(ring_, config_.buffer_count, config_.buffer_size, free_buffers_, name_);
}

UringWriter::~UringWriter() {
    if (!ring_ready_) return;
    // An op still in flight references our buffers or the caller's memory:
    // wait for every one before the ring and the buffers go away.
    while (in_flight_ > 0) {
        io_uring_cqe* cqe = nullptr;
        int rc = io_uring_wait_cqe(&ring_, &cqe);
        if (rc == -EINTR) continue;
        if (rc < 0) break;
        io_uring_cqe_seen(&ring_, cqe);
        --in_flight_;
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

uint64_t UringWriter::queue_op(Op op) {
    op.seq = next_seq_++;
    op.offset = next_offset_;
    op.state = Op::State::queued;
    next_offset_ += op.remaining();
    ops_.push_back(op);
    return op.seq + 1;
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
        queue_op(op);
    }
    filling_ = -1;
    fill_ = 0;
}

uint64_t UringWriter::write_borrowed(std::span<const std::byte> data) {
    Op op{};
    if (filling_ >= 0 && fill_ > 0) {
        // The bytes buffered so far (a record header) leave in the same call.
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
    uint64_t ticket = queue_op(op);
    pump(false);
    return ticket;
}

void UringWriter::wait_released(uint64_t ticket) {
    while (done_seq() < ticket) pump(true);
}

void UringWriter::write_unbuffered(std::span<const std::byte> data,
                                   const std::function<void(std::span<const std::byte>)>& while_in_flight) {
    uint64_t ticket = write_borrowed(data);
    try {
        if (while_in_flight) while_in_flight(data);
    } catch (...) {
        // The kernel may still be reading the caller's memory: never return before it is done.
        try {
            wait_released(ticket);
        } catch (...) {
        }
        throw;
    }
    wait_released(ticket);
}

void UringWriter::flush() {
    queue_filling_buffer();
    wait_released(next_seq_);
}

void UringWriter::prep(Op& op, io_uring_sqe* sqe) {
    // MSG_NOSIGNAL: a vanished receiver must be an error, not a SIGPIPE that
    // kills the checkpoint. MSG_WAITALL: the kernel retries partial sends itself.
    constexpr int send_flags = MSG_NOSIGNAL | MSG_WAITALL;
    if (op.iovcnt == 1 && op.iov[0].iov_len <= (1u << 30)) {
        auto len = static_cast<unsigned>(op.iov[0].iov_len);
        if (target_ == Target::socket)
            io_uring_prep_send(sqe, fd_, op.iov[0].iov_base, len, send_flags);
        else if (op.buffer >= 0)
            io_uring_prep_write_fixed(sqe, fd_, op.iov[0].iov_base, len, op.offset, op.buffer);
        else
            io_uring_prep_write(sqe, fd_, op.iov[0].iov_base, len, op.offset);
    } else if (target_ == Target::socket) {
        op.msg = msghdr{};
        op.msg.msg_iov = op.iov;
        op.msg.msg_iovlen = static_cast<size_t>(op.iovcnt);
        io_uring_prep_sendmsg(sqe, fd_, &op.msg, send_flags);
    } else {
        io_uring_prep_writev(sqe, fd_, op.iov, static_cast<unsigned>(op.iovcnt), op.offset);
    }
    io_uring_sqe_set_data64(sqe, op.seq);
    // Inline, a buffered file write completes at submit time, and a send to a
    // full socket bounces through poll and task work in this thread. Punted to
    // an io-wq worker, either blocks there while the producer checksums and
    // fills the next buffer (measured: loopback TCP went from 0.84x of a plain
    // send() loop to >= 1x).
    sqe->flags |= IOSQE_ASYNC;
    op.state = Op::State::in_flight;
    ++in_flight_;
}

void UringWriter::submit_ready() {
    // A socket's writes go out as one chain submitted while nothing else is in
    // flight: the link makes each start after the previous one completed.
    if (target_ == Target::socket && in_flight_ > 0) return;
    io_uring_sqe* last = nullptr;
    unsigned prepared = 0;
    for (auto& op : ops_) {
        if (in_flight_ >= max_in_flight) break;
        if (op.state != Op::State::queued) continue;
        io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
        if (!sqe) break;
        if (last && target_ == Target::socket) last->flags |= IOSQE_IO_LINK;
        prep(op, sqe);
        last = sqe;
        ++prepared;
    }
    if (prepared == 0) return;
    int rc;
    do rc = io_uring_submit(&ring_);
    while (rc == -EINTR);
    if (rc < 0) throw SystemError(-rc, fmt::format("io_uring submit for {}", name_));
}

void UringWriter::complete(uint64_t seq, int res) {
    --in_flight_;
    if (ops_.empty() || seq < ops_.front().seq || seq - ops_.front().seq >= ops_.size())
        fail("io_uring completion for {} names unknown write {}", name_, seq);
    Op& op = ops_[seq - ops_.front().seq];
    // A broken link (a short send before it): send it again, in order.
    if (res == -ECANCELED && target_ == Target::socket) {
        op.state = Op::State::queued;
        return;
    }
    if (res < 0) fail_write(name_, target_, -res);
    if (res == 0) fail("writing the image to {} made no progress (the device accepted 0 bytes)", name_);
    auto n = static_cast<size_t>(res);
    completed_bytes_ += n;
    if (n < op.remaining()) {  // short write: resubmit the rest (at its own offset, for a file)
        op.offset += n;
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
        op.state = Op::State::queued;
        return;
    }
    if (op.buffer >= 0) free_buffers_.push_back(op.buffer);
    op.buffer = -1;
    op.state = Op::State::done;
    while (!ops_.empty() && ops_.front().state == Op::State::done) ops_.pop_front();
}

void UringWriter::pump(bool wait) {
    submit_ready();
    if (in_flight_ == 0) {
        if (wait && !ops_.empty()) fail("io_uring writer for {} has queued writes but none in flight", name_);
        return;
    }
    bool waited = false;
    for (;;) {
        io_uring_cqe* cqe = nullptr;
        int rc = (wait && !waited) ? io_uring_wait_cqe(&ring_, &cqe) : io_uring_peek_cqe(&ring_, &cqe);
        if (rc == -EAGAIN) break;
        if (rc == -EINTR) continue;
        if (rc < 0) throw SystemError(-rc, fmt::format("waiting for io_uring completion on {}", name_));
        waited = true;
        uint64_t seq = io_uring_cqe_get_data64(cqe);
        int res = cqe->res;
        io_uring_cqe_seen(&ring_, cqe);
        complete(seq, res);
        if (in_flight_ == 0) break;
    }
    submit_ready();
}

}  // namespace myrt::cr::transport
