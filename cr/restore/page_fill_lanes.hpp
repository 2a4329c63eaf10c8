#pragma once
// Filling PAGES records straight from the image file on two threads, the
// tracer's and one helper. Each reads its record in 256 KiB pieces with
// pread, hashes a piece and copies it into the task (UFFDIO_COPY) while it is
// still in that CPU's cache. On this 2-vCPU VM that fills 1 GiB in about
// 190 ms, where one thread hashing and copying what an io-wq worker read
// ahead into 1 MiB buffers takes about 250 ms: the hash then takes the cache
// misses, and the copy takes them again.
//
// Only records whose every page goes in by UFFDIO_COPY come here (the copy is
// a plain ioctl, safe from any thread; the other fill path injects syscalls,
// which only the tracer may). Each record's digest (image format 3, a
// PagesChecksum per record) is folded into the reader in record order.
#include <sys/types.h>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <thread>

#include "cr/image/record_reader.hpp"

namespace myrt::cr {

class PageFillLanes {
public:
    // Whole pages of one record at `addr`; called on either thread.
    using Fill = std::function<void(uint64_t addr, std::span<const std::byte> data)>;

    PageFillLanes(int image_fd, std::string image_name, Fill fill);
    PageFillLanes(const PageFillLanes&) = delete;
    PageFillLanes& operator=(const PageFillLanes&) = delete;
    // Stops the helper between two pieces and joins it.
    ~PageFillLanes();

    // The record whose `len` bytes of contents lie at `offset` in the image,
    // for `addr` onward: handed to the helper if it is idle, else filled here.
    void fill(uint64_t addr, uint64_t offset, uint64_t len);
    // Folds the digests of records filled so far into `reader`, in order:
    // those ready now, or (`wait`) all of them. A helper's failure is thrown here.
    void fold_into(image::RecordReader& reader, bool wait);

private:
    struct Job {
        uint64_t addr, offset, len;
        std::promise<uint64_t> digest;
    };
    uint64_t fill_record(const Job& job, std::span<std::byte> buffer, const std::stop_token* stop);
    void helper_main(std::stop_token stop);

    int fd_;
    std::string name_;
    Fill fill_;
    std::unique_ptr<std::byte[]> own_buffer_;
    std::deque<std::future<uint64_t>> owed_;  // in record order
    std::mutex mu_;
    std::condition_variable_any wake_;
    std::optional<Job> job_;  // the helper's mailbox
    bool helper_busy_ = false;
    std::jthread helper_;  // last: joined before the members it uses go
};

}  // namespace myrt::cr
