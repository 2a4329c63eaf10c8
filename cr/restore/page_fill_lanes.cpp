#include "cr/restore/page_fill_lanes.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>

#include "cr/image/checksum.hpp"
#include "util/error.hpp"

namespace myrt::cr {
namespace {

// Small enough that a piece read by pread is still in the core's L2 when it
// is hashed and copied (measured: 256 and 512 KiB alike, 1 MiB slower).
constexpr size_t kPiece = 256 * 1024;

}  // namespace

PageFillLanes::PageFillLanes(int image_fd, std::string image_name, Fill fill)
    : fd_(image_fd), name_(std::move(image_name)), fill_(std::move(fill)),
      own_buffer_(std::make_unique<std::byte[]>(kPiece)),
      helper_([this](std::stop_token stop) { helper_main(stop); }) {}

PageFillLanes::~PageFillLanes() {
    helper_.request_stop();
    wake_.notify_all();
}

uint64_t PageFillLanes::fill_record(const Job& job, std::span<std::byte> buffer, const std::stop_token* stop) {
    image::StreamChecksum sum;
    uint64_t done = 0;
    while (done < job.len) {
        if (stop && stop->stop_requested()) fail("filling memory at {:#x} was stopped", job.addr + done);
        auto piece = buffer.first(static_cast<size_t>(std::min<uint64_t>(buffer.size(), job.len - done)));
        size_t got = 0;
        while (got < piece.size()) {
            ssize_t n = ::pread(fd_, piece.data() + got, piece.size() - got, static_cast<off_t>(job.offset + done + got));
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) throw_errno("reading page contents at offset {} of {}", job.offset + done + got, name_);
            if (n == 0) fail("{} ends at offset {}, inside page contents: it changed while it was being restored", name_,
                             job.offset + done + got);
            got += static_cast<size_t>(n);
        }
        sum.update(piece);
        fill_(job.addr + done, piece);
        done += piece.size();
    }
    return sum.digest();
}

void PageFillLanes::helper_main(std::stop_token stop) {
    auto buffer = std::make_unique<std::byte[]>(kPiece);
    for (;;) {
        std::optional<Job> job;
        {
            std::unique_lock lock(mu_);
            if (!wake_.wait(lock, stop, [&] { return job_.has_value(); })) return;
            job.swap(job_);
        }
        try {
            job->digest.set_value(fill_record(*job, std::span(buffer.get(), kPiece), &stop));
        } catch (...) {
            job->digest.set_exception(std::current_exception());
        }
        std::lock_guard lock(mu_);
        helper_busy_ = false;
    }
}

void PageFillLanes::fill(uint64_t addr, uint64_t offset, uint64_t len) {
    Job job{addr, offset, len, {}};
    {
        std::lock_guard lock(mu_);
        if (!helper_busy_) {
            helper_busy_ = true;
            owed_.push_back(job.digest.get_future());
            job_.emplace(std::move(job));
            wake_.notify_one();
            return;
        }
    }
    owed_.push_back(job.digest.get_future());
    job.digest.set_value(fill_record(job, std::span(own_buffer_.get(), kPiece), nullptr));
}

void PageFillLanes::fold_into(image::RecordReader& reader, bool wait) {
    while (!owed_.empty()) {
        auto& next = owed_.front();
        if (!wait && next.wait_for(std::chrono::seconds(0)) != std::future_status::ready) return;
        reader.fold_pages_digest(next.get());
        owed_.pop_front();
    }
}

}  // namespace myrt::cr
