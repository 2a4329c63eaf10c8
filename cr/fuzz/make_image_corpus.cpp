// Writes a seed corpus for image_reader_fuzzer: small valid images that use
// every record type, and a few damaged variants, one file each.
#include "cr/image/host_info.hpp"
#include "cr/image/record_writer.hpp"
#include "cr/transport/memory_stream.hpp"

#include <filesystem>
#include <fstream>
#include <iostream>

using namespace myrt::cr;

namespace {

void save(const std::filesystem::path& dir, const std::string& name, const std::vector<std::byte>& bytes) {
    std::ofstream out(dir / name, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

std::vector<std::byte> image_with(const std::function<void(image::RecordWriter&)>& body) {
    transport::MemorySink sink;
    image::RecordWriter w(sink);
    w.write_head(image::make_head(0));
    body(w);
    w.finish();
    return sink.bytes();
}

}  // namespace

int main(int argc, char** argv) try {
    if (argc != 2) {
        std::cerr << "usage: make_image_corpus DIR\n";
        return 2;
    }
    std::filesystem::path dir = argv[1];
    std::filesystem::create_directories(dir);
    save(dir, "empty-image", image_with([](auto&) {}));
    auto all = image_with([](image::RecordWriter& w) {
        w.write_string("init", 1);
        w.write_buffer(std::vector<std::byte>(17, std::byte{0xab}), 2);
        w.write_objref(3, 2);
        w.write<image::RecordType::vma>(image::VmaRecord{0x10000, 0x12000, 0, 0, 0, 3, 0x22}, 4);
        w.write_pages(0x10000, 12, std::vector<std::byte>(2 * 4096, std::byte{7}), 4);
    });
    save(dir, "every-type", all);
    auto truncated = all;
    truncated.resize(all.size() / 2);
    save(dir, "truncated", truncated);
    auto flipped = all;
    flipped[360] ^= std::byte{0x40};
    save(dir, "bit-flipped", flipped);
    save(dir, "many-small", image_with([](image::RecordWriter& w) {
        for (int i = 0; i < 20; ++i) w.write_string(std::string(static_cast<size_t>(i), 'x'), static_cast<uint64_t>(i));
    }));
    return 0;
} catch (const std::exception& e) {
    std::cerr << "make_image_corpus: " << e.what() << "\n";
    return 1;
}
