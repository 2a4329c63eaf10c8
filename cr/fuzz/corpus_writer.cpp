#include "cr/fuzz/corpus_writer.hpp"

#include <fstream>

#include "cr/image/host_info.hpp"
#include "cr/transport/memory_stream.hpp"
#include "util/error.hpp"

namespace myrt::cr::fuzz {

std::vector<std::byte> image_stream(const std::function<void(image::RecordWriter&)>& body) {
    transport::MemorySink sink;
    image::RecordWriter w(sink);
    w.write_head(image::make_head(0));
    body(w);
    w.finish();
    return sink.bytes();
}

void save_seed(const std::filesystem::path& dir, const std::string& name, const std::vector<std::byte>& bytes,
               std::optional<uint8_t> prefix) {
    std::ofstream out(dir / name, std::ios::binary);
    if (prefix) {
        char first = static_cast<char>(*prefix);
        out.write(&first, 1);
    }
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    if (!out) fail("writing the seed {}", (dir / name).string());
}

}  // namespace myrt::cr::fuzz
