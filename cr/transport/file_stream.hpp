#pragma once
// Image streams to and from a file. The sink writes NAME.partial and renames it
// to NAME only in finish(), after fsync: a crash or an error never leaves a
// file under the final name that could be mistaken for a complete image.
// Writeback is started every few tens of MiB as the writes complete
// (sync_file_range), so the disk works while the stream is produced and the
// final fsync only waits for the tail: on this VM, fsync of a whole 1 GiB
// image at the end took 0.9-1.2 s.
#include "cr/transport/sink.hpp"
#include "cr/transport/source.hpp"
#include "cr/transport/uring_reader.hpp"
#include "cr/transport/uring_writer.hpp"
#include "util/fd.hpp"

#include <memory>

namespace myrt::cr::transport {

class FileSink : public Sink {
public:
    explicit FileSink(std::string path, UringBufferConfig config = {});
    ~FileSink() override;  // without finish(): removes NAME.partial

    void write(std::span<const std::byte> data) override;
    void write_unbuffered(std::span<const std::byte> data,
                          const std::function<void(std::span<const std::byte>)>& while_in_flight) override;
    uint64_t write_borrowed(std::span<const std::byte> data) override;
    void wait_released(uint64_t ticket) override { writer_->wait_released(ticket); }
    void finish() override;
    std::string describe() const override { return path_; }
    const std::string& partial_path() const { return partial_; }

private:
    void start_writeback();

    std::string path_;
    std::string partial_;
    UniqueFd fd_;
    std::unique_ptr<UringWriter> writer_;
    uint64_t writeback_from_ = 0;  // bytes before this have had writeback started
    bool finished_ = false;
};

// The image file at `path`, opened for reading; anything but a regular file
// (a FIFO, a device) is refused without blocking.
UniqueFd open_image_for_reading(const std::string& path);

class FileSource : public Source {
public:
    explicit FileSource(std::string path, UringBufferConfig config = {});
    // An image file opened already (a regular file), named `name` in messages.
    FileSource(UniqueFd fd, std::string name, UringBufferConfig config = {});
    std::span<const std::byte> read_chunk(size_t max) override { return reader_->read_chunk(max); }
    uint64_t skip(uint64_t n) override { return reader_->seekable() ? reader_->skip(n) : Source::skip(n); }
    std::string describe() const override { return path_; }

private:
    std::string path_;
    UniqueFd fd_;
    std::unique_ptr<UringReader> reader_;
};

}  // namespace myrt::cr::transport
