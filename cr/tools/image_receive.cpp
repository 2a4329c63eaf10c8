#include "cr/tools/image_receive.hpp"

#include "cr/image/record_reader.hpp"
#include "cr/tools/image_layout.hpp"
#include "cr/transport/file_stream.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

#include <filesystem>

namespace myrt::cr::tools {

namespace {

// Passes every byte the reader consumes on to the sink, so the stored file
// is exactly the checked stream, written as it arrives (bounded memory).
class TeeSource : public transport::Source {
public:
    TeeSource(transport::Source& in, transport::Sink& out) : in_(in), out_(out) {}
    std::span<const std::byte> read_chunk(size_t max) override {
        auto chunk = in_.read_chunk(max);
        if (!chunk.empty()) out_.write(chunk);
        return chunk;
    }
    std::string describe() const override { return in_.describe(); }

private:
    transport::Source& in_;
    transport::Sink& out_;
};

}  // namespace

ReceiveResult receive_image(transport::TcpListener& listener, const std::string& dir) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) throw SystemError(ec.value(), fmt::format("creating the image directory {}", dir));
    log::info("waiting for an image on {}", listener.describe());
    auto source = listener.accept();
    std::string path = image_stream_path(dir);
    transport::FileSink sink(path);  // NAME.partial until finish()
    TeeSource tee(*source, sink);
    image::RecordReader reader(tee);
    image::StreamSummary summary;
    try {
        summary = reader.verify();
    } catch (const Error& e) {
        fail("received image rejected, nothing stored in {}: {}", dir, e.what());
    }
    sink.finish();
    source->acknowledge();
    log::info("received {} records, {} bytes, from {} into {}", summary.records, summary.total_bytes, source->describe(), path);
    return ReceiveResult{path, summary.total_bytes, summary.records};
}

ReceiveResult receive_image(const std::string& listen, const std::string& dir) {
    transport::TcpListener listener(listen);
    return receive_image(listener, dir);
}

}  // namespace myrt::cr::tools
