// PageFillLanes: records read from an image file on two threads, every byte
// delivered once to the fill at its address, and the digests folded into the
// reader in record order so that TAIL's pages checksum passes.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <map>
#include <mutex>
#include <thread>

#include "cr/image/host_info.hpp"
#include "cr/image/record_reader.hpp"
#include "cr/image/record_writer.hpp"
#include "cr/restore/page_fill_lanes.hpp"
#include "cr/transport/file_stream.hpp"
#include "cr/transport/memory_stream.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"

using namespace myrt::cr;
using myrt::cr::image::RecordType;

namespace {

struct TempImage {
    std::string path;
    explicit TempImage(std::span<const std::byte> bytes) {
        char tmpl[] = "/tmp/myrt-lanes-test-XXXXXX";
        int fd = ::mkstemp(tmpl);
        if (fd < 0) myrt::throw_errno("mkstemp");
        path = tmpl;
        bool ok = ::write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size());
        ::close(fd);
        if (!ok) myrt::fail("writing {}", path);
    }
    ~TempImage() { ::unlink(path.c_str()); }
};

std::byte pattern(size_t record, size_t at) { return std::byte(static_cast<uint8_t>(record * 13 + at / 4096 + at % 7)); }

// Records of several sizes (more than one 256 KiB piece, less, exactly one).
std::vector<std::byte> image_of(const std::vector<size_t>& sizes) {
    myrt::cr::transport::MemorySink sink;
    image::RecordWriter w(sink);
    w.write_head(image::make_head(0));
    for (size_t i = 0; i < sizes.size(); ++i) {
        std::vector<std::byte> contents(sizes[i]);
        for (size_t j = 0; j < sizes[i]; ++j) contents[j] = pattern(i, j);
        w.write_pages(0x10000000ull * (i + 1), 12, contents, 1);
    }
    w.write_buffer(std::vector<std::byte>(16), 2);  // the end of the memory, as a process's end marker
    w.finish();
    return sink.bytes();
}

// Reads `file` as the restore does: every PAGES record through the lanes.
// Returns what the fill received, by address, or the error.
std::string fill_all(const std::string& file, std::map<uint64_t, std::vector<std::byte>>& got, int fd_override = -1,
                     bool* helper_used = nullptr) {
    std::mutex mu;
    const auto caller = std::this_thread::get_id();
    try {
        myrt::UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
        myrt::cr::transport::FileSource src(file);
        image::RecordReader reader(src);
        PageFillLanes lanes(fd_override >= 0 ? fd_override : fd.get(), file, [&](uint64_t addr, std::span<const std::byte> d) {
            std::lock_guard lock(mu);
            if (helper_used && std::this_thread::get_id() != caller) *helper_used = true;
            EXPECT_EQ(addr % 4096, 0u);
            EXPECT_EQ(d.size() % 4096, 0u);
            auto& out = got[addr];
            EXPECT_TRUE(out.empty()) << "address " << addr << " filled twice";
            out.assign(d.begin(), d.end());
        });
        while (auto h = reader.next()) {
            if (h->type == uint32_t(RecordType::head)) continue;
            if (h->type == uint32_t(RecordType::buffer)) {
                lanes.fold_into(reader, true);  // every digest is in before TAIL
                reader.read_buffer();
                continue;
            }
            auto p = reader.read_fixed<RecordType::pages>();
            uint64_t at = reader.offset(), len = reader.payload_remaining();
            reader.skip_contents_hashed_elsewhere();
            lanes.fill(p.vaddr, at, len);
            lanes.fold_into(reader, false);
        }
    } catch (const myrt::Error& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST(PageFillLanes, EveryRecordArrivesOnceAndTheDigestsPassTail) {
    const std::vector<size_t> sizes{1u << 20, 4096, 256u << 10, 3u << 20, 12288, 700u << 12};
    auto bytes = image_of(sizes);
    TempImage img(bytes);
    std::map<uint64_t, std::vector<std::byte>> got;
    bool helper_used = false;
    ASSERT_EQ(fill_all(img.path, got, -1, &helper_used), "");
    EXPECT_TRUE(helper_used) << "the first record goes to the idle helper thread";
    for (size_t i = 0; i < sizes.size(); ++i) {
        uint64_t base = 0x10000000ull * (i + 1);
        size_t seen = 0;
        for (auto it = got.lower_bound(base); it != got.end() && it->first < base + sizes[i]; ++it) {
            ASSERT_EQ(it->first, base + seen) << "record " << i << ": a gap or an overlap";
            for (size_t j = 0; j < it->second.size(); j += 509)
                ASSERT_EQ(it->second[j], pattern(i, seen + j)) << "record " << i << " at " << seen + j;
            seen += it->second.size();
        }
        EXPECT_EQ(seen, sizes[i]) << "record " << i;
    }
}

TEST(PageFillLanes, AChangedByteInTheFileFailsTheChecksum) {
    auto bytes = image_of({2u << 20, 8192, 1u << 20});
    bytes[bytes.size() / 2] ^= std::byte{0x40};  // inside the first record's contents
    TempImage img(bytes);
    std::map<uint64_t, std::vector<std::byte>> got;
    EXPECT_NE(fill_all(img.path, got).find("image checksum mismatch in page contents"), std::string::npos);
}

TEST(PageFillLanes, AFileShorterThanTheStreamIsNamed) {
    auto bytes = image_of({2u << 20, 3u << 20});
    TempImage img(bytes);
    TempImage shorter(std::span<const std::byte>(bytes).first(1u << 20));  // pread runs out inside the first record
    myrt::UniqueFd fd(::open(shorter.path.c_str(), O_RDONLY | O_CLOEXEC));
    std::map<uint64_t, std::vector<std::byte>> got;
    auto err = fill_all(img.path, got, fd.get());
    EXPECT_NE(err.find("inside page contents: it changed while it was being restored"), std::string::npos) << err;
}
