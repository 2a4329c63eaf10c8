#pragma once
// One entry point for "where does the image go": tcp://HOST:PORT or a file path.
#include "cr/transport/sink.hpp"
#include "cr/transport/source.hpp"

#include <memory>
#include <string>

namespace myrt::cr::transport {

std::unique_ptr<Sink> open_sink(const std::string& target);
// A file path only: a receiving side listens (TcpListener) rather than opening an address.
std::unique_ptr<Source> open_source(const std::string& path);

}  // namespace myrt::cr::transport
