// libFuzzer target for the strict image reader and `image inspect`: any byte
// string must end in a myrt::Error or a clean read, never a crash, a sanitizer
// report or a large allocation (smoke.sh runs it with -malloc_limit_mb).
#include "cr/image/record_reader.hpp"
#include "cr/tools/image_inspect.hpp"
#include "cr/transport/memory_stream.hpp"
#include "util/error.hpp"

#include <cstdint>
#include <sstream>

using namespace myrt::cr;

namespace {

// `pages`: skip is the restore's first pass (page contents passed over).
void read_everything(std::span<const std::byte> bytes, image::PageContents pages) {
    transport::MemorySource src(bytes, "fuzz");
    image::RecordReader r(src, pages);
    while (auto h = r.next()) {
        switch (static_cast<image::RecordType>(h->type)) {
            case image::RecordType::string: r.read_string(); break;
            case image::RecordType::buffer: r.read_buffer(); break;
            case image::RecordType::objref: r.read_fixed<image::RecordType::objref>(); break;
            case image::RecordType::vma: r.read_fixed<image::RecordType::vma>(); break;
            case image::RecordType::pages:
                r.read_fixed<image::RecordType::pages>();
                if (pages == image::PageContents::read)
                    while (!r.read_chunk(3000).empty()) {}
                break;
            default: break;  // left unread: next() must skip it
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
    for (auto pages : {image::PageContents::read, image::PageContents::skip}) {
        try {
            read_everything(bytes, pages);
        } catch (const myrt::Error&) {
        }
    }
    transport::MemorySource src(bytes, "fuzz");
    std::ostringstream out;
    tools::inspect_stream(src, size % 2 == 0, out);  // reports errors in its output, never throws for bad input
    return 0;
}
