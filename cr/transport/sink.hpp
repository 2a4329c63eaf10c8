#pragma once
// Where an image stream goes. A Sink is written front to back exactly once;
// `finish()` is the only way to make the stream count as complete, so a
// writer that dies or throws leaves nothing that looks like a whole image.
#include <cstddef>
#include <functional>
#include <span>
#include <string>

namespace myrt::cr::transport {

class Sink {
public:
    virtual ~Sink() = default;

    // Appends bytes; they may be copied into an internal buffer and sent later.
    virtual void write(std::span<const std::byte> data) = 0;

    // Appends bytes without copying them through the sink's buffers. `while_in_flight`
    // runs while the kernel moves the data (the record writer checksums there);
    // the call returns once `data` is no longer referenced.
    virtual void write_unbuffered(std::span<const std::byte> data,
                                  const std::function<void(std::span<const std::byte>)>& while_in_flight) {
        if (while_in_flight) while_in_flight(data);
        write(data);
    }

    // Sends everything still buffered, makes it durable and marks the stream
    // complete (a file sink renames NAME.partial to NAME). Throws on failure.
    virtual void finish() = 0;

    // A short description for error messages: the path or tcp:// address.
    virtual std::string describe() const = 0;
};

}  // namespace myrt::cr::transport
