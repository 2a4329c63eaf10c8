// The image is untrusted input: every malformed stream is rejected with an
// error that says where and why, never a crash or an allocation the image
// asked for.
#include "cr/image/host_info.hpp"
#include "cr/image/record_reader.hpp"
#include "cr/image/record_writer.hpp"
#include "cr/tests/test_support.hpp"
#include "cr/transport/file_stream.hpp"
#include "cr/transport/memory_stream.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <random>

#include <stdlib.h>
#include <unistd.h>

using namespace myrt::cr;
using image::RecordType;
using myrt::cr::testing::RawImage;
using ::testing::HasSubstr;

namespace {

std::vector<std::byte> valid_image() {
    transport::MemorySink sink;
    image::RecordWriter w(sink);
    w.write_head(image::make_head(0));
    w.write_string("comm", 1);
    std::vector<std::byte> page(2 * 4096, std::byte{0x5a});
    w.write_pages(0x1000, 12, page, 1);
    w.write_buffer(std::vector<std::byte>(13, std::byte{1}), 2);
    w.finish();
    return sink.bytes();
}

// Reads the whole image; returns the error message, or "" if it was accepted.
std::string read_all(std::span<const std::byte> bytes) {
    transport::MemorySource src(bytes, "test.img");
    image::RecordReader r(src);
    try {
        while (auto h = r.next()) {
            switch (static_cast<RecordType>(h->type)) {
                case RecordType::string: r.read_string(); break;
                case RecordType::buffer: r.read_buffer(); break;
                case RecordType::pages:
                    r.read_fixed<RecordType::pages>();
                    while (!r.read_chunk(4096).empty()) {}
                    break;
                default: break;
            }
        }
    } catch (const myrt::Error& e) {
        return e.what();
    }
    return "";
}

std::span<const std::byte> bytes_of(const auto& v) { return std::as_bytes(std::span(v)); }

// HEAD, a STRING, `page_bytes` of PAGES contents (0x5a), a BUFFER, TAIL.
std::vector<std::byte> image_with_pages(size_t page_bytes) {
    transport::MemorySink sink;
    image::RecordWriter w(sink);
    w.write_head(image::make_head(0));
    w.write_string("comm", 1);
    w.write_pages(0x1000, 12, std::vector<std::byte>(page_bytes, std::byte{0x5a}), 1);
    w.write_buffer(std::vector<std::byte>(13, std::byte{1}), 2);
    w.finish();
    return sink.bytes();
}

// An image written to a temporary file (a FileSource reads ahead and seeks,
// which a MemorySource does not); removed with the object.
class ImageFile {
public:
    explicit ImageFile(std::span<const std::byte> bytes) {
        int fd = ::mkstemp(path_);
        if (fd < 0) myrt::throw_errno("mkstemp {}", path_);
        bool written = ::write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size());
        ::close(fd);
        if (!written) myrt::fail("writing the test image {} failed", path_);
    }
    ~ImageFile() { ::unlink(path_); }
    ImageFile(const ImageFile&) = delete;
    ImageFile& operator=(const ImageFile&) = delete;
    const char* path() const { return path_; }

private:
    char path_[32] = "/tmp/myrt-test-image-XXXXXX";
};

// The restore's first pass: a file read with PageContents::skip. Returns the
// error message, or "" if the image was accepted.
std::string read_file_skipping_pages(std::span<const std::byte> bytes) {
    ImageFile file(bytes);
    std::string err;
    try {
        transport::FileSource src(file.path());
        image::RecordReader r(src, image::PageContents::skip);
        while (auto h = r.next()) {
            if (h->type == uint32_t(RecordType::string)) r.read_string();
            if (h->type == uint32_t(RecordType::pages)) r.read_fixed<RecordType::pages>();
        }
    } catch (const myrt::Error& e) {
        err = e.what();
    }
    return err;
}

}  // namespace

TEST(HostileImage, ValidImageIsAccepted) { EXPECT_EQ(read_all(valid_image()), ""); }

TEST(HostileImage, EveryTruncationIsRejectedWithItsOffset) {
    auto img = valid_image();
    for (size_t len = 0; len < img.size(); ++len) {
        std::string err = read_all(std::span(img).first(len));
        ASSERT_THAT(err, HasSubstr("image truncated at offset " + std::to_string(len))) << "prefix of " << len << " bytes";
        ASSERT_THAT(err, HasSubstr("test.img"));
    }
}

TEST(HostileImage, EveryBitFlipIsRejected) {
    auto img = valid_image();
    // Page contents are 8 KiB of the same byte; flipping every bit of the
    // headers and a sample of the contents keeps the test fast.
    std::mt19937 rng(42);
    std::vector<size_t> positions;
    for (size_t i = 0; i < img.size(); ++i)
        if (i < 600 || i >= img.size() - 200 || rng() % 64 == 0) positions.push_back(i);
    for (size_t pos : positions)
        for (int bit = 0; bit < 8; ++bit) {
            auto copy = img;
            copy[pos] ^= static_cast<std::byte>(1 << bit);
            ASSERT_NE(read_all(copy), "") << "flip of bit " << bit << " at offset " << pos << " was accepted";
        }
}

TEST(HostileImage, OversizedLengthIsRejectedBeforeAllocation) {
    RawImage img;
    img.head();
    std::vector<std::byte> small(8);
    img.raw(uint32_t(RecordType::buffer), small, 0, 0, uint64_t{1} << 60);
    EXPECT_THAT(read_all(img.bytes), HasSubstr("BUFFER record at offset 352 has a payload length of 1152921504606846976 bytes"));

    RawImage s;
    s.head().raw(uint32_t(RecordType::string), small, 0, 0, image::max_string_len + 1);
    EXPECT_THAT(read_all(s.bytes), HasSubstr("outside the allowed 1..4096"));

    RawImage p;  // PAGES whose struct announces more contents than its length
    p.head().record(uint32_t(RecordType::pages), image::PagesRecord{0x1000, 1000000, 12, 0}).tail();
    EXPECT_THAT(read_all(p.bytes), HasSubstr("out of range"));

    RawImage q;
    q.head().record(uint32_t(RecordType::pages), image::PagesRecord{0x1000, 2, 12, 0}).tail();
    EXPECT_THAT(read_all(q.bytes), HasSubstr("need 8192 bytes of contents, the record holds 0"));
}

TEST(HostileImage, WrongMagicVersionAndArchNameBothValues) {
    auto h = image::make_head(0);
    h.magic = 0x1122334455667788;
    EXPECT_THAT(read_all(RawImage().head(h).tail().bytes),
                HasSubstr("bad image magic 0x1122334455667788 (expected 0x444145487472796d)"));

    h = image::make_head(0);
    h.format_version = image::format_version + 1;
    EXPECT_THAT(read_all(RawImage().head(h).tail().bytes),
                HasSubstr(fmt::format("image format version {} is not supported (this myrt reads version {})",
                                      image::format_version + 1, image::format_version)));

    h = image::make_head(0);
    h.arch = image::arch_aarch64;
    EXPECT_THAT(read_all(RawImage().head(h).tail().bytes),
                HasSubstr("image architecture 183 (aarch64) does not match this machine's 62 (x86_64)"));

    h = image::make_head(0);
    h.flags = 1ull << 40;
    EXPECT_THAT(read_all(RawImage().head(h).tail().bytes), HasSubstr("HEAD flags 0x10000000000 include unknown bits"));

    h = image::make_head(0);
    std::memset(h.uts_release, 'x', sizeof(h.uts_release));
    EXPECT_THAT(read_all(RawImage().head(h).tail().bytes), HasSubstr("not NUL-terminated"));

    std::vector<std::byte> junk(400, std::byte{0x41});
    EXPECT_THAT(read_all(junk), HasSubstr("not a myrt image"));
}

TEST(HostileImage, StructuralErrorsAreNamed) {
    std::vector<std::byte> text{std::byte{'a'}, std::byte{'b'}};
    EXPECT_THAT(read_all(RawImage().head().raw(uint32_t(RecordType::string), text).tail().bytes),
                HasSubstr("STRING record at offset 352 is not NUL-terminated"));
    std::vector<std::byte> inner{std::byte{'a'}, std::byte{0}, std::byte{'b'}, std::byte{0}};
    EXPECT_THAT(read_all(RawImage().head().raw(uint32_t(RecordType::string), inner).tail().bytes), HasSubstr("NUL byte before its end"));
    EXPECT_THAT(read_all(RawImage().head().raw(4242, text).tail().bytes), HasSubstr("unknown record type 4242 at offset 352"));
    EXPECT_THAT(read_all(RawImage().head().raw(uint32_t(RecordType::buffer), text, 0, 0x80).tail().bytes), HasSubstr("unknown flag bits 0x80"));
    EXPECT_THAT(read_all(RawImage().head().record(uint32_t(RecordType::objref), image::ObjrefRecord{1, 0}, 0).tail().bytes),
                HasSubstr("OBJREF record at offset 352 has objref 0"));
    EXPECT_THAT(read_all(RawImage().head().raw(uint32_t(RecordType::vma), text).tail().bytes),
                HasSubstr("VMA record at offset 352 has a 2-byte payload (expected exactly 48)"));
    EXPECT_THAT(read_all(RawImage().head().head().tail().bytes), HasSubstr("a second HEAD record at offset 352"));
    EXPECT_THAT(read_all(RawImage().head().bytes), HasSubstr("image truncated at offset 352"));

    auto img = RawImage().head().raw(uint32_t(RecordType::buffer), text).tail();
    img.bytes[352 + 24 + 2] = std::byte{9};  // padding after the 2-byte payload
    EXPECT_THAT(read_all(img.bytes), HasSubstr("non-zero padding after the BUFFER record at offset 352"));

    auto extra = RawImage().head().tail();
    extra.bytes.push_back(std::byte{0});
    EXPECT_THAT(read_all(extra.bytes), HasSubstr("unexpected data after TAIL"));
}

TEST(HostileImage, TailCountAndChecksumAreChecked) {
    auto img = valid_image();
    auto flip_payload = img;
    flip_payload[352 + 24 + 1] ^= std::byte{1};  // inside the STRING payload: structurally still valid
    EXPECT_THAT(read_all(flip_payload), HasSubstr("image checksum mismatch"));

    RawImage r;
    r.head().raw(uint32_t(RecordType::buffer), std::vector<std::byte>(8)).tail();
    auto* tail = reinterpret_cast<image::TailRecord*>(r.bytes.data() + r.bytes.size() - sizeof(image::TailRecord));
    tail->record_count = 5;
    EXPECT_THAT(read_all(r.bytes), HasSubstr("TAIL says the image holds 5 records, 2 were read"));
}

TEST(HostileImage, PageContentsHaveAChecksumOfTheirOwnThatAFirstPassSkips) {
    // 8 MiB of contents: more than the file reader reads ahead, so the skip seeks.
    auto img = image_with_pages(8u << 20);
    const std::vector<std::byte> run(64, std::byte{0x5a});
    const size_t contents_at = static_cast<size_t>(std::search(img.begin(), img.end(), run.begin(), run.end()) - img.begin());
    ASSERT_LT(contents_at, 1024u);
    EXPECT_EQ(read_file_skipping_pages(img), "");
    EXPECT_EQ(read_all(img), "");

    auto flip_page = img;
    flip_page[contents_at + (5u << 20)] ^= std::byte{1};
    EXPECT_EQ(read_file_skipping_pages(flip_page), "") << "the first pass reads no page contents";
    EXPECT_THAT(read_all(flip_page), HasSubstr("image checksum mismatch in page contents"));

    auto flip_string = img;
    flip_string[352 + 24 + 1] ^= std::byte{1};
    EXPECT_THAT(read_file_skipping_pages(flip_string), HasSubstr("image checksum mismatch: TAIL records"));

    auto flip_buffer = img;
    flip_buffer[contents_at + (8u << 20) + 24 + 3] ^= std::byte{1};  // inside the BUFFER after the pages
    EXPECT_THAT(read_file_skipping_pages(flip_buffer), HasSubstr("image checksum mismatch: TAIL records"));

    EXPECT_THAT(read_file_skipping_pages(std::span(img).first(contents_at + (6u << 20))), HasSubstr("image truncated"));
}

// Format 3: a PAGES record's contents can be read and hashed by someone else
// (a restore's fill threads) and its digest folded in record order. TAIL then
// passes only with the right digests in the right order, and the reader
// refuses to hash a record while earlier digests are owed.
TEST(HostileImage, PagesDigestsFoldedInOrderFromElsewhere) {
    const std::vector<size_t> sizes{3u << 20, 4096, 2u << 20, 8192};
    std::vector<std::vector<std::byte>> contents;
    transport::MemorySink sink;
    image::RecordWriter w(sink);
    w.write_head(image::make_head(0));
    for (size_t i = 0; i < sizes.size(); ++i) {
        contents.emplace_back(sizes[i]);
        for (size_t j = 0; j < sizes[i]; ++j) contents[i][j] = std::byte(static_cast<uint8_t>(i * 7 + j / 512));
        w.write_pages(0x100000000ull * (i + 1), 12, contents[i], 1);
        w.write_buffer(std::vector<std::byte>(1000 + i, std::byte{1}), 2);
    }
    w.finish();
    ImageFile file(sink.bytes());
    auto digest_of = [&](size_t i) {
        image::StreamChecksum sum;
        sum.update(contents[i]);
        return sum.digest();
    };
    // Records 0 and 2 are hashed elsewhere, 1 and 3 by the reader; `digest`
    // says what is folded for record i, `fold_late` holds record 0's digest
    // back until record 1 starts to be read.
    auto read_with = [&](const std::function<uint64_t(size_t)>& digest, bool fold_late) -> std::string {
        try {
            transport::FileSource src(file.path());
            image::RecordReader r(src);
            size_t pages = 0;
            while (auto h = r.next()) {
                if (h->type == uint32_t(RecordType::buffer)) r.read_buffer();
                if (h->type != uint32_t(RecordType::pages)) continue;
                r.read_fixed<RecordType::pages>();
                if (pages % 2 == 0) {
                    r.skip_contents_hashed_elsewhere();
                    if (!fold_late) r.fold_pages_digest(digest(pages));
                } else {
                    while (!r.read_chunk(1 << 20).empty()) {}
                    if (fold_late && pages == 1) r.fold_pages_digest(digest(0));
                }
                ++pages;
            }
            return "";
        } catch (const myrt::Error& e) {
            return e.what();
        }
    };
    EXPECT_EQ(read_with(digest_of, false), "");
    EXPECT_THAT(read_with([&](size_t i) { return digest_of(i) ^ 1; }, false),
                HasSubstr("image checksum mismatch in page contents"));
    EXPECT_THAT(read_with([&](size_t i) { return digest_of(i == 0 ? 2 : 0); }, false),
                HasSubstr("image checksum mismatch in page contents")) << "digests swapped between records";
    EXPECT_THAT(read_with(digest_of, true), HasSubstr("digests are owed"));
    EXPECT_EQ(read_all(sink.bytes()), "") << "a reader that hashes everything agrees with the writer";
}

TEST(HostileImage, AFileReaderSkipsAndReadsMixedRecordsInOrder) {
    // PAGES of several sizes between BUFFERs: a skipping pass probes after
    // each skip and reads ahead again for the BUFFERs; a reading pass gets
    // every byte back in order.
    const std::vector<size_t> sizes{4096, 3u << 20, 64u << 10, 9u << 20, 8192};
    transport::MemorySink sink;
    image::RecordWriter w(sink);
    w.write_head(image::make_head(0));
    for (size_t i = 0; i < sizes.size(); ++i) {
        std::vector<std::byte> contents(sizes[i]);
        for (size_t j = 0; j < contents.size(); ++j) contents[j] = std::byte(static_cast<uint8_t>(i * 31 + j / 4096));
        w.write_pages(0x100000000ull * (i + 1), 12, contents, 1);
        w.write_buffer(std::vector<std::byte>(100000 + i, std::byte(static_cast<uint8_t>(i))), 2);
    }
    w.finish();
    auto img = sink.bytes();
    EXPECT_EQ(read_file_skipping_pages(img), "");

    ImageFile file(img);
    for (auto mode : {image::PageContents::skip, image::PageContents::read}) {
        transport::FileSource src(file.path());
        image::RecordReader r(src, mode);
        size_t pages = 0, buffers = 0;
        while (auto h = r.next()) {
            if (h->type == uint32_t(RecordType::buffer)) {
                auto b = r.read_buffer();
                ASSERT_EQ(b.size(), 100000 + buffers);
                EXPECT_EQ(b.back(), std::byte(static_cast<uint8_t>(buffers)));
                ++buffers;
            } else if (h->type == uint32_t(RecordType::pages)) {
                auto p = r.read_fixed<RecordType::pages>();
                EXPECT_EQ(p.nr_pages * 4096, sizes[pages]);
                if (mode == image::PageContents::read) {
                    size_t at = 0;
                    for (auto c = r.read_chunk(1 << 20); !c.empty(); c = r.read_chunk(1 << 20)) {
                        for (size_t j = 0; j < c.size(); j += 4096)
                            ASSERT_EQ(c[j], std::byte(static_cast<uint8_t>(pages * 31 + (at + j) / 4096))) << "record " << pages;
                        at += c.size();
                    }
                    EXPECT_EQ(at, sizes[pages]);
                }
                ++pages;
            }
        }
        EXPECT_EQ(pages, sizes.size());
        EXPECT_EQ(buffers, sizes.size());
    }
}

TEST(HostileImage, VerifySummarisesAValidImage) {
    auto img = valid_image();
    transport::MemorySource src(img);
    image::RecordReader r(src);
    auto s = r.verify();
    EXPECT_EQ(s.records, 5u);
    EXPECT_EQ(s.total_bytes, img.size());
    EXPECT_EQ(s.by_type[uint32_t(RecordType::pages)].payload_bytes, 24u + 8192u);
}
