#pragma once
// Helpers shared by the foundation tests: real child processes that hold
// chosen fds, and a raw image builder that can write what RecordWriter
// refuses to (so each reader check is reached with a valid checksum).
#include "cr/image/checksum.hpp"
#include "cr/image/host_info.hpp"
#include "cr/image/records.hpp"
#include "util/error.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace myrt::cr::testing {

// A child that runs /bin/sleep with exactly the fds asked for (parent fd ->
// child fd number) and a private /dev/null as stdio. Killed and reaped by pid
// on destruction.
class SleepingChild {
public:
    SleepingChild(std::vector<std::pair<int, int>> fds, std::function<void()> before_exec = {}) {
        int ready[2];
        if (::pipe2(ready, O_CLOEXEC) < 0) throw_errno("pipe");
        pid_ = ::fork();
        if (pid_ < 0) throw_errno("fork");
        if (pid_ == 0) {
            // Move the wanted fds above every target number first, so dup2 cannot clobber one.
            std::vector<std::pair<int, int>> moved;
            for (auto [from, to] : fds) moved.push_back({::fcntl(from, F_DUPFD, 1000), to});
            for (auto [from, to] : moved) ::dup2(from, to);
            int keep_max = 2;
            for (auto [from, to] : moved) keep_max = std::max(keep_max, to);
            for (int fd = 3; fd < 1100; ++fd) {
                bool keep = fd == ready[1];
                for (auto [from, to] : moved) keep = keep || fd == to;
                if (!keep) ::close(fd);
            }
            int null_fd = ::open("/dev/null", O_RDWR);
            ::dup2(null_fd, 0);
            ::dup2(null_fd, 1);
            ::dup2(null_fd, 2);
            if (null_fd > 2) ::close(null_fd);
            if (before_exec) before_exec();
            ::execl("/bin/sleep", "sleep", "1000", static_cast<char*>(nullptr));
            ::_exit(127);
        }
        ::close(ready[1]);
        char b;
        // The read end sees EOF once exec closed the CLOEXEC write end.
        while (::read(ready[0], &b, 1) < 0 && errno == EINTR) {}
        ::close(ready[0]);
    }
    ~SleepingChild() { stop(); }
    SleepingChild(const SleepingChild&) = delete;
    SleepingChild& operator=(const SleepingChild&) = delete;

    pid_t pid() const { return pid_; }
    void stop() {
        if (pid_ <= 0) return;
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
        pid_ = -1;
    }

private:
    pid_t pid_ = -1;
};

// Builds raw image bytes record by record, with a correct TAIL unless told otherwise.
class RawImage {
public:
    std::vector<std::byte> bytes;
    uint64_t records = 0;
    std::vector<std::pair<size_t, size_t>> page_contents;  // (offset, length) in bytes: TAIL's pages checksum

    template <class T>
    RawImage& record(uint32_t type, const T& payload, uint64_t objref = 0, uint32_t flags = 0) {
        return raw(type, std::as_bytes(std::span(&payload, 1)), objref, flags);
    }
    RawImage& raw(uint32_t type, std::span<const std::byte> payload, uint64_t objref = 0, uint32_t flags = 0,
                  std::optional<uint64_t> len = std::nullopt) {
        image::RecordHeader h{type, flags, len.value_or(payload.size()), objref};
        append(std::as_bytes(std::span(&h, 1)));
        if (type == static_cast<uint32_t>(image::RecordType::pages) && payload.size() > sizeof(image::PagesRecord))
            page_contents.emplace_back(bytes.size() + sizeof(image::PagesRecord), payload.size() - sizeof(image::PagesRecord));
        append(payload);
        std::vector<std::byte> pad(image::padded_len(payload.size()) - payload.size());
        append(pad);
        ++records;
        return *this;
    }
    RawImage& head(image::HeadRecord h = image::make_head(0)) { return record(static_cast<uint32_t>(image::RecordType::head), h); }
    RawImage& tail() {
        image::StreamChecksum sum, pages_sum;
        size_t at = 0;
        for (auto [offset, length] : page_contents) {
            sum.update(std::span(bytes).subspan(at, offset - at));
            pages_sum.update(std::span(bytes).subspan(offset, length));
            at = offset + length;
        }
        sum.update(std::span(bytes).subspan(at));
        image::TailRecord t{image::tail_magic, records, bytes.size(), sum.digest(), image::checksum_xxh3_64, 0,
                            pages_sum.digest()};
        image::RecordHeader h{static_cast<uint32_t>(image::RecordType::tail), 0, sizeof(t), 0};
        append(std::as_bytes(std::span(&h, 1)));
        append(std::as_bytes(std::span(&t, 1)));
        return *this;
    }
    void append(std::span<const std::byte> b) { bytes.insert(bytes.end(), b.begin(), b.end()); }
};

}  // namespace myrt::cr::testing
