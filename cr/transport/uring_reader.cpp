#include "cr/transport/uring_reader.hpp"

#include "cr/transport/uring_buffers.hpp"
#include "util/error.hpp"

#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <algorithm>

namespace myrt::cr::transport {

namespace {
constexpr uint64_t cancel_tag = ~uint64_t{0};  // user_data of the destructor's cancel request
constexpr size_t probe_len = 64 * 1024;        // the read that follows a skip
}  // namespace

UringReader::UringReader(int fd, UringWriter::Target target, std::string name, UringBufferConfig config)
    : fd_(fd), target_(target), name_(std::move(name)), config_(config) {
    if (config_.buffer_count < 2 || config_.buffer_size == 0) fail("io_uring reader for {} needs at least two non-empty buffers", name_);
    int rc = io_uring_queue_init(8, &ring_, 0);
    if (rc < 0) throw SystemError(-rc, fmt::format("io_uring setup for {}", name_));
    ring_ready_ = true;
    struct stat st{};
    regular_file_ = target_ == UringWriter::Target::file && ::fstat(fd_, &st) == 0 && S_ISREG(st.st_mode);
    if (regular_file_) {
        // One worker: reads complete in the order they were queued, and no
        // second worker competes with the consumer for the second CPU.
        unsigned workers[2] = {1, 1};
        (void)io_uring_register_iowq_max_workers(&ring_, workers);
    }
    buffers_ = register_stream_buffers(ring_, config_.buffer_count, config_.buffer_size, free_buffers_, name_);
    requested_.assign(config_.buffer_count, 0);
}

UringReader::~UringReader() {
    if (!ring_ready_) return;
    // The kernel may still be writing into our buffers: wait for every read.
    size_t pending = 0;
    for (const auto& r : in_flight_) pending += r.done ? 0 : 1;
    if (pending > 0) {
        io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
        if (sqe) {  // a receive can wait forever on a silent peer: cancel it
            io_uring_prep_cancel64(sqe, 0, IORING_ASYNC_CANCEL_ALL | IORING_ASYNC_CANCEL_ANY);
            io_uring_sqe_set_data64(sqe, cancel_tag);
            io_uring_submit(&ring_);
            ++pending;
        }
        while (pending > 0) {
            io_uring_cqe* cqe = nullptr;
            if (io_uring_wait_cqe(&ring_, &cqe) < 0) break;
            io_uring_cqe_seen(&ring_, cqe);
            --pending;
        }
    }
    io_uring_queue_exit(&ring_);
}

void UringReader::submit_reads() {
    // Right after a skip the consumer may skip again soon (a first pass over
    // an image reads a record's header and passes over its pages): read one
    // small piece, and go back to reading ahead once it has been used up.
    const bool probing = regular_file_ && !sequential_;
    if (probing && (!in_flight_.empty() || !filled_.empty() || (current_ >= 0 && current_pos_ < current_len_))) return;
    unsigned queued = 0;
    while (!eof_ && !free_buffers_.empty() && (regular_file_ || in_flight_.empty()) && !(probing && queued > 0)) {
        io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
        if (!sqe) break;
        int b = free_buffers_.back();
        free_buffers_.pop_back();
        auto len = static_cast<unsigned>(probing ? std::min(config_.buffer_size, probe_len) : config_.buffer_size);
        requested_[static_cast<size_t>(b)] = len;
        if (target_ == UringWriter::Target::socket) {
            io_uring_prep_recv(sqe, fd_, buffer_at(b), len, MSG_WAITALL);
        } else if (!regular_file_) {
            io_uring_prep_read(sqe, fd_, buffer_at(b), len, static_cast<uint64_t>(-1));  // at the fd's position
        } else {
            io_uring_prep_read_fixed(sqe, fd_, buffer_at(b), len, file_offset_, b);
            // Inline, a read from the page cache would copy in this thread,
            // between the consumer's own work; in a worker it runs alongside.
            // Not a probe, which the consumer waits for at once: the hop to a
            // worker and back costs more than copying 64 KiB here.
            if (!probing) sqe->flags |= IOSQE_ASYNC;
            file_offset_ += len;  // a short read means the end: nothing is queued after it
        }
        io_uring_sqe_set_data64(sqe, static_cast<uint64_t>(b));
        in_flight_.push_back(InFlight{b});
        ++queued;
    }
    if (queued == 0) return;
    int rc;
    do rc = io_uring_submit(&ring_);
    while (rc == -EINTR);
    if (rc < 0) throw SystemError(-rc, fmt::format("io_uring submit for {}", name_));
}

void UringReader::wait_one() {
    io_uring_cqe* cqe = nullptr;
    int rc;
    do rc = io_uring_wait_cqe(&ring_, &cqe);
    while (rc == -EINTR);
    if (rc < 0) throw SystemError(-rc, fmt::format("waiting for io_uring completion on {}", name_));
    auto b = static_cast<int>(io_uring_cqe_get_data64(cqe));
    int res = cqe->res;
    io_uring_cqe_seen(&ring_, cqe);
    auto it = std::find_if(in_flight_.begin(), in_flight_.end(), [b](const InFlight& r) { return r.buffer == b && !r.done; });
    if (it == in_flight_.end()) fail("io_uring completion for {} names unknown buffer {}", name_, b);
    it->done = true;
    it->result = res;
    retire_completed();
}

// Hands completed reads to the consumer in stream order.
void UringReader::retire_completed() {
    while (!in_flight_.empty() && in_flight_.front().done) {
        InFlight r = in_flight_.front();
        in_flight_.pop_front();
        if (eof_ || r.result == 0) {  // past the end (or the end itself)
            eof_ = true;
            free_buffers_.push_back(r.buffer);
            continue;
        }
        if (r.result < 0) {
            free_buffers_.push_back(r.buffer);
            if (r.result == -ECONNRESET)
                throw SystemError(-r.result, fmt::format("receiving the image from {} failed: the sender reset the connection", name_));
            throw SystemError(-r.result, fmt::format("reading the image from {} failed", name_));
        }
        auto n = static_cast<size_t>(r.result);
        filled_.push_back(Filled{r.buffer, n});
        // A regular file reads short only at its end; a socket or pipe returns
        // what it has, and is read on until it reports the end with 0.
        if (regular_file_ && n < requested_[static_cast<size_t>(r.buffer)]) eof_ = true;
    }
}

void UringReader::take_first_filled() {
    current_ = filled_.front().buffer;
    current_len_ = filled_.front().len;
    current_pos_ = 0;
    filled_.pop_front();
}

std::span<const std::byte> UringReader::read_chunk(size_t max) {
    if (max == 0) return {};
    while (current_ < 0 || current_pos_ == current_len_) {
        if (current_ >= 0) {
            free_buffers_.push_back(current_);
            current_ = -1;
            sequential_ = true;  // a whole buffer was read through: read ahead again
        }
        submit_reads();
        if (filled_.empty()) {
            if (in_flight_.empty()) return {};  // end of stream
            wait_one();
            continue;
        }
        take_first_filled();
        submit_reads();  // read ahead while the consumer works on this buffer
    }
    size_t n = std::min(max, current_len_ - current_pos_);
    std::span<const std::byte> out(buffer_at(current_) + current_pos_, n);
    current_pos_ += n;
    return out;
}

uint64_t UringReader::skip(uint64_t n) {
    uint64_t done = 0;
    auto drop_buffered = [&] {
        while (done < n) {
            if (current_ < 0 || current_pos_ == current_len_) {
                if (current_ >= 0) free_buffers_.push_back(current_);
                current_ = -1;
                if (filled_.empty()) return;
                take_first_filled();
            }
            size_t take = static_cast<size_t>(std::min<uint64_t>(n - done, current_len_ - current_pos_));
            current_pos_ += take;
            done += take;
        }
    };
    if (!regular_file_) fail("skipping in {}: only a regular file can seek", name_);
    drop_buffered();
    if (done == n) return done;
    // Everything read ahead lies before the bytes still to skip: let the
    // reads in flight land, drop what they brought, then move the offset.
    while (!in_flight_.empty()) wait_one();
    drop_buffered();
    if (done == n || eof_) return done;
    struct stat st{};
    if (::fstat(fd_, &st) < 0) throw_errno("stat of {}", name_);
    uint64_t size = static_cast<uint64_t>(st.st_size);
    uint64_t jump = std::min(n - done, size > file_offset_ ? size - file_offset_ : 0);
    file_offset_ += jump;
    done += jump;
    if (done < n) eof_ = true;
    sequential_ = false;
    return done;
}

}  // namespace myrt::cr::transport
