#pragma once
// `myrt image receive --listen ADDR:PORT --image-path DIR`: accepts one
// sender, stores the stream as DIR/myrt.img while checking every record, and
// keeps it only when HEAD and TAIL (count and checksum) check out; the sender
// is told so with a one-byte acknowledgement.
#include "cr/transport/tcp_stream.hpp"

#include <string>

namespace myrt::cr::tools {

struct ReceiveResult {
    std::string path;
    uint64_t bytes = 0;
    uint64_t records = 0;
};

ReceiveResult receive_image(const std::string& listen, const std::string& dir);
// The same with a listener the caller already bound (tests bind port 0).
ReceiveResult receive_image(transport::TcpListener& listener, const std::string& dir);

}  // namespace myrt::cr::tools
