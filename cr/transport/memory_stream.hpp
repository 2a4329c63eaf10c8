#pragma once
// In-memory sink and source: tests, the fuzzer and small tools use them.
#include "cr/transport/sink.hpp"
#include "cr/transport/source.hpp"

#include <vector>

namespace myrt::cr::transport {

class MemorySink : public Sink {
public:
    void write(std::span<const std::byte> data) override { bytes_.insert(bytes_.end(), data.begin(), data.end()); }
    void finish() override { finished_ = true; }
    std::string describe() const override { return "memory"; }

    const std::vector<std::byte>& bytes() const { return bytes_; }
    std::vector<std::byte>& bytes() { return bytes_; }
    bool finished() const { return finished_; }

private:
    std::vector<std::byte> bytes_;
    bool finished_ = false;
};

// Reads a caller-owned byte range; the bytes must outlive the source.
class MemorySource : public Source {
public:
    explicit MemorySource(std::span<const std::byte> data, std::string name = "memory")
        : data_(data), name_(std::move(name)) {}
    std::span<const std::byte> read_chunk(size_t max) override {
        size_t n = std::min(max, data_.size() - pos_);
        auto chunk = data_.subspan(pos_, n);
        pos_ += n;
        return chunk;
    }
    std::string describe() const override { return name_; }

private:
    std::span<const std::byte> data_;
    size_t pos_ = 0;
    std::string name_;
};

}  // namespace myrt::cr::transport
