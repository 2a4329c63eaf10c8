#pragma once
// Image streams over TCP: the sender connects to tcp://HOST:PORT, the receiver
// listens on ADDR:PORT and accepts one connection. Peer loss on either side is
// a myrt::Error naming the address; the stream's own TAIL proves completeness.
#include "cr/transport/sink.hpp"
#include "cr/transport/source.hpp"
#include "cr/transport/uring_reader.hpp"
#include "cr/transport/uring_writer.hpp"
#include "util/fd.hpp"

#include <cstdint>
#include <memory>

namespace myrt::cr::transport {

// The receiver's one-byte confirmation, sent after it has checked TAIL: a
// sender's finish() succeeds only when it arrives.
inline constexpr unsigned char stream_ack_byte = 0x06;

struct HostPort {
    std::string host;
    uint16_t port = 0;
};

// Accepts "tcp://HOST:PORT", "HOST:PORT" and "[V6ADDR]:PORT".
HostPort parse_tcp_address(const std::string& address);
bool is_tcp_address(const std::string& target);

class TcpSink : public Sink {
public:
    explicit TcpSink(const std::string& address, UringBufferConfig config = {});
    void write(std::span<const std::byte> data) override { writer_->write(data); }
    void write_unbuffered(std::span<const std::byte> data,
                          const std::function<void(std::span<const std::byte>)>& while_in_flight) override {
        writer_->write_unbuffered(data, while_in_flight);
    }
    uint64_t write_borrowed(std::span<const std::byte> data) override { return writer_->write_borrowed(data); }
    void wait_released(uint64_t ticket) override { writer_->wait_released(ticket); }
    // Sends what is buffered, then shuts the write side down so the receiver sees end of stream.
    void finish() override;
    std::string describe() const override { return name_; }

private:
    std::string name_;
    UniqueFd fd_;
    std::unique_ptr<UringWriter> writer_;
};

class TcpSource : public Source {
public:
    TcpSource(UniqueFd connected, std::string peer, UringBufferConfig config = {});
    std::span<const std::byte> read_chunk(size_t max) override { return reader_->read_chunk(max); }
    std::string describe() const override { return name_; }
    // Tells the sender the whole stream arrived and was checked.
    void acknowledge();

private:
    std::string name_;
    UniqueFd fd_;
    std::unique_ptr<UringReader> reader_;
};

class TcpListener {
public:
    // Binds and listens at once, so a sender may connect before accept() is called.
    explicit TcpListener(const std::string& address);
    uint16_t port() const { return port_; }
    std::string describe() const;
    std::unique_ptr<TcpSource> accept(UringBufferConfig config = {});

private:
    HostPort address_;
    uint16_t port_ = 0;
    UniqueFd fd_;
};

}  // namespace myrt::cr::transport
