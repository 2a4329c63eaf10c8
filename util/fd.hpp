#pragma once
// RAII owners for kernel resources: a file descriptor and a memory mapping.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <utility>

namespace myrt {

class UniqueFd {
public:
    UniqueFd() = default;
    explicit UniqueFd(int fd) noexcept : fd_(fd) {}
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;
    UniqueFd(UniqueFd&& o) noexcept : fd_(o.release()) {}
    UniqueFd& operator=(UniqueFd&& o) noexcept {
        if (this != &o) reset(o.release());
        return *this;
    }
    ~UniqueFd() { reset(); }

    int get() const noexcept { return fd_; }
    explicit operator bool() const noexcept { return fd_ >= 0; }
    int release() noexcept { return std::exchange(fd_, -1); }
    void reset(int fd = -1) noexcept {
        if (fd_ >= 0) ::close(fd_);
        fd_ = fd;
    }

private:
    int fd_ = -1;
};

class Mapping {
public:
    Mapping() = default;
    Mapping(void* addr, size_t len) noexcept : addr_(addr), len_(len) {}
    Mapping(const Mapping&) = delete;
    Mapping& operator=(const Mapping&) = delete;
    Mapping(Mapping&& o) noexcept : addr_(std::exchange(o.addr_, MAP_FAILED)), len_(std::exchange(o.len_, 0)) {}
    Mapping& operator=(Mapping&& o) noexcept {
        if (this != &o) {
            reset();
            addr_ = std::exchange(o.addr_, MAP_FAILED);
            len_ = std::exchange(o.len_, 0);
        }
        return *this;
    }
    ~Mapping() { reset(); }

    void* data() const noexcept { return addr_; }
    size_t size() const noexcept { return len_; }
    explicit operator bool() const noexcept { return addr_ != MAP_FAILED; }
    void reset() noexcept {
        if (addr_ != MAP_FAILED) ::munmap(addr_, len_);
        addr_ = MAP_FAILED;
        len_ = 0;
    }

private:
    void* addr_ = MAP_FAILED;
    size_t len_ = 0;
};

}  // namespace myrt
