// Writes a seed corpus for image_reader_fuzzer: small valid images that use
// every record type, and a few damaged variants, one file each.
#include "cr/fuzz/corpus_writer.hpp"

#include <filesystem>
#include <iostream>

using namespace myrt::cr;
using fuzz::image_stream;
using fuzz::save_seed;

int main(int argc, char** argv) try {
    if (argc != 2) {
        std::cerr << "usage: make_image_corpus DIR\n";
        return 2;
    }
    std::filesystem::path dir = argv[1];
    std::filesystem::create_directories(dir);
    save_seed(dir, "empty-image", image_stream([](auto&) {}));
    auto all = image_stream([](image::RecordWriter& w) {
        w.write_string("init", 1);
        w.write_buffer(std::vector<std::byte>(17, std::byte{0xab}), 2);
        w.write_objref(3, 2);
        w.write<image::RecordType::vma>(image::VmaRecord{0x10000, 0x12000, 0, 0, 0, 3, 0x22}, 4);
        w.write_pages(0x10000, 12, std::vector<std::byte>(2 * 4096, std::byte{7}), 4);
    });
    save_seed(dir, "every-type", all);
    auto truncated = all;
    truncated.resize(all.size() / 2);
    save_seed(dir, "truncated", truncated);
    auto flipped = all;
    flipped[360] ^= std::byte{0x40};
    save_seed(dir, "bit-flipped", flipped);
    save_seed(dir, "many-small", image_stream([](image::RecordWriter& w) {
        for (int i = 0; i < 20; ++i) w.write_string(std::string(static_cast<size_t>(i), 'x'), static_cast<uint64_t>(i));
    }));
    return 0;
} catch (const std::exception& e) {
    std::cerr << "make_image_corpus: " << e.what() << "\n";
    return 1;
}
