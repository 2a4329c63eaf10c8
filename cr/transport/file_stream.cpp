#include "cr/transport/file_stream.hpp"

#include "util/error.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

namespace myrt::cr::transport {
namespace {
constexpr uint64_t writeback_step = 32u << 20;
}  // namespace

FileSink::FileSink(std::string path, UringBufferConfig config)
    : path_(std::move(path)), partial_(path_ + ".partial") {
    fd_ = UniqueFd(::open(partial_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!fd_) throw_errno("creating the image file {}", partial_);
    writer_ = std::make_unique<UringWriter>(fd_.get(), UringWriter::Target::file, partial_, config);
}

FileSink::~FileSink() {
    if (finished_) return;
    writer_.reset();
    fd_.reset();
    ::unlink(partial_.c_str());
}

void FileSink::write(std::span<const std::byte> data) {
    if (finished_) fail("image file {} is already complete: nothing may be written after finish", path_);
    writer_->write(data);
    start_writeback();
}

void FileSink::write_unbuffered(std::span<const std::byte> data,
                                const std::function<void(std::span<const std::byte>)>& while_in_flight) {
    if (finished_) fail("image file {} is already complete: nothing may be written after finish", path_);
    writer_->write_unbuffered(data, while_in_flight);
    start_writeback();
}

uint64_t FileSink::write_borrowed(std::span<const std::byte> data) {
    if (finished_) fail("image file {} is already complete: nothing may be written after finish", path_);
    uint64_t ticket = writer_->write_borrowed(data);
    start_writeback();
    return ticket;
}

void FileSink::start_writeback() {
    // Only what the kernel has accepted (completions come in file order: one
    // io-wq worker). Asynchronous, and a failure here only means the final
    // fsync has more to do, which reports any error that matters.
    uint64_t done = writer_->bytes_written();
    if (done - writeback_from_ < writeback_step) return;
    (void)::sync_file_range(fd_.get(), static_cast<off64_t>(writeback_from_), static_cast<off64_t>(done - writeback_from_),
                            SYNC_FILE_RANGE_WRITE);
    writeback_from_ = done;
}

void FileSink::finish() {
    if (finished_) return;
    writer_->flush();
    if (::fsync(fd_.get()) < 0) throw_errno("fsync of the image file {}", partial_);
    writer_.reset();
    if (::close(fd_.release()) < 0) throw_errno("closing the image file {}", partial_);
    if (::rename(partial_.c_str(), path_.c_str()) < 0) throw_errno("renaming {} to {}", partial_, path_);
    finished_ = true;
    // Make the rename itself durable.
    auto dir = std::filesystem::path(path_).parent_path();
    UniqueFd dfd(::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dfd) ::fsync(dfd.get());
}

UniqueFd open_image_for_reading(const std::string& path) {
    // O_NONBLOCK: a FIFO or a device where the image should be must be
    // refused, not waited on forever (an image directory is untrusted input).
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
    if (!fd) throw_errno("opening the image file {}", path);
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) throw_errno("stat of the image file {}", path);
    if (!S_ISREG(st.st_mode)) fail("the image file {} is not a regular file", path);
    int flags = ::fcntl(fd.get(), F_GETFL);
    if (flags < 0 || ::fcntl(fd.get(), F_SETFL, flags & ~O_NONBLOCK) != 0) throw_errno("fcntl of the image file {}", path);
    return fd;
}

FileSource::FileSource(std::string path, UringBufferConfig config) : path_(std::move(path)) {
    fd_ = open_image_for_reading(path_);
    reader_ = std::make_unique<UringReader>(fd_.get(), UringWriter::Target::file, path_, config);
}

FileSource::FileSource(UniqueFd fd, std::string name, UringBufferConfig config) : path_(std::move(name)), fd_(std::move(fd)) {
    reader_ = std::make_unique<UringReader>(fd_.get(), UringWriter::Target::file, path_, config);
}

}  // namespace myrt::cr::transport
