#pragma once
// Where an image stream goes. A Sink is written front to back exactly once;
// `finish()` is the only way to make the stream count as complete, so a
// writer that dies or throws leaves nothing that looks like a whole image.
#include <cstddef>
#include <cstdint>
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

    // Appends bytes without a copy and without waiting: the sink may still read
    // `data` after the call returns, until wait_released() of the returned
    // ticket (or of a later one) has returned; until then the caller must
    // neither change nor free it. Several hand-offs may be in flight at once:
    // that is how a producer fills its next buffer while earlier ones are
    // written. Ticket 0 means the data was copied and is released already.
    virtual uint64_t write_borrowed(std::span<const std::byte> data) {
        write(data);
        return 0;
    }
    // Returns once the hand-off with `ticket` and every earlier one no longer
    // reference the caller's memory. Throws if one of them failed.
    virtual void wait_released(uint64_t ticket) { (void)ticket; }

    // Sends everything still buffered, makes it durable and marks the stream
    // complete (a file sink renames NAME.partial to NAME). Throws on failure.
    virtual void finish() = 0;

    // A short description for error messages: the path or tcp:// address.
    virtual std::string describe() const = 0;
};

}  // namespace myrt::cr::transport
