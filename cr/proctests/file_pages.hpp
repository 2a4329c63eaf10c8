#pragma once
// Test-only page store in a temp file: the dump sink appends {addr, len,
// bytes}; the restore side streams them back through a bounded buffer. It
// proves the restore path works without holding the memory in RAM.
#include <string>
#include <vector>

#include "cr/memory/dump_memory.hpp"
#include "cr/memory/restore_memory.hpp"
#include "util/fd.hpp"

namespace myrt::cr::test {

class FilePages final : public PageSource {
public:
    FilePages();
    ~FilePages() override;
    ChunkSink sink();
    bool has_contents(const Vma& vma) const override;
    void for_each_chunk(const std::function<void(uint64_t, std::span<const std::byte>)>& fn) override;
    size_t largest_read() const { return largest_read_; }
    uint64_t bytes() const { return bytes_; }

private:
    struct Entry {
        uint64_t addr, len, offset;
    };
    std::string path_;
    UniqueFd fd_;
    std::vector<Entry> index_;
    uint64_t bytes_ = 0;
    size_t largest_read_ = 0;
};

}  // namespace myrt::cr::test
