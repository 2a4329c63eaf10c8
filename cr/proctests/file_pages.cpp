#include "file_pages.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>

#include "util/error.hpp"

namespace myrt::cr::test {

constexpr size_t kReadBuffer = 4u << 20;

FilePages::FilePages() {
    char tmpl[] = "/tmp/cr-proc-pages-XXXXXX";
    fd_ = UniqueFd(check(::mkstemp(tmpl), "mkstemp"));
    path_ = tmpl;
}

FilePages::~FilePages() { ::unlink(path_.c_str()); }

ChunkSink FilePages::sink() {
    return [this](const Vma&, uint64_t addr, std::span<const std::byte> data) {
        index_.push_back({addr, data.size(), bytes_});
        size_t done = 0;
        while (done < data.size()) {
            ssize_t n = ::pwrite(fd_.get(), data.data() + done, data.size() - done, static_cast<off_t>(bytes_ + done));
            if (n <= 0) throw_errno("writing pages to {}", path_);
            done += static_cast<size_t>(n);
        }
        bytes_ += data.size();
    };
}

bool FilePages::has_contents(const Vma& v) const {
    return std::any_of(index_.begin(), index_.end(), [&](const Entry& e) { return e.addr < v.rec.end && v.rec.start < e.addr + e.len; });
}

void FilePages::for_each_chunk(const std::function<void(uint64_t, std::span<const std::byte>)>& fn) {
    std::vector<std::byte> buf(kReadBuffer);
    for (const auto& e : index_) {
        for (uint64_t done = 0; done < e.len;) {
            size_t want = static_cast<size_t>(std::min<uint64_t>(e.len - done, buf.size()));
            ssize_t n = ::pread(fd_.get(), buf.data(), want, static_cast<off_t>(e.offset + done));
            if (n != static_cast<ssize_t>(want)) throw_errno("reading pages back from {}", path_);
            largest_read_ = std::max(largest_read_, want);
            fn(e.addr + done, std::span<const std::byte>(buf.data(), want));
            done += want;
        }
    }
}

}  // namespace myrt::cr::test
