#include "cr/transport/open_stream.hpp"

#include "cr/transport/file_stream.hpp"
#include "cr/transport/tcp_stream.hpp"

namespace myrt::cr::transport {

std::unique_ptr<Sink> open_sink(const std::string& target) {
    if (is_tcp_address(target)) return std::make_unique<TcpSink>(target);
    return std::make_unique<FileSink>(target);
}

std::unique_ptr<Source> open_source(const std::string& path) { return std::make_unique<FileSource>(path); }

}  // namespace myrt::cr::transport
