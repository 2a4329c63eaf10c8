// Transport: file sinks never leave a complete-looking partial image, a
// stream over loopback TCP arrives byte for byte, a receiver that dies makes
// the sender fail clearly, and memory stays bounded for a large stream.
#include "cr/image/host_info.hpp"
#include "cr/image/record_writer.hpp"
#include "cr/tools/image_layout.hpp"
#include "cr/tools/image_receive.hpp"
#include "cr/transport/file_stream.hpp"
#include "util/error.hpp"
#include "cr/transport/memory_stream.hpp"
#include "cr/transport/tcp_stream.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

using namespace myrt::cr;
using ::testing::HasSubstr;
namespace fs = std::filesystem;

namespace {

// A fresh, empty directory (mkdtemp): the tests check what is left in it, so
// it must never be one that another process made under a reused pid.
class TempDir {
public:
    explicit TempDir(const fs::path& base = fs::temp_directory_path()) {
        std::string tmpl = (base / "crbase-XXXXXX").string();
        if (!::mkdtemp(tmpl.data())) myrt::throw_errno("mkdtemp {}", tmpl);
        path_ = tmpl;
    }
    ~TempDir() { fs::remove_all(path_); }
    std::string str() const { return path_.string(); }
    fs::path operator/(const std::string& s) const { return path_ / s; }

private:
    fs::path path_;
};

std::vector<std::byte> file_bytes(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::vector<char> c((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<std::byte> out(c.size());
    std::memcpy(out.data(), c.data(), c.size());
    return out;
}

// Writes the same deterministic image to any sink: HEAD, then `mib` MiB of
// pages in records of varying size, interleaved with small records.
void write_image(transport::Sink& sink, const image::HeadRecord& head, uint64_t mib) {
    image::RecordWriter w(sink);
    w.write_head(head);
    std::vector<std::byte> pages(1 << 20);
    for (uint64_t i = 0; i < mib; ++i) {
        for (size_t j = 0; j < pages.size(); j += 4096) pages[j] = static_cast<std::byte>(i + j / 4096);
        size_t n = (i % 3 == 0) ? pages.size() : 4096 * (1 + i % 7);
        w.write_string(fmt::format("vma {}", i), i + 1);
        w.write_pages(0x7f0000000000ull + i * pages.size(), 12, std::span(pages).first(n), i + 1);
    }
    w.finish();
}

// As a checkpoint's dump_memory: `slots` producer buffers handed off with
// write_borrowed, each refilled (with contents unique to its record) only after
// wait_released; a buffer released too early shows up as wrong bytes.
void write_image_pipelined(transport::Sink& sink, const image::HeadRecord& head, uint64_t records, unsigned slots) {
    image::RecordWriter w(sink);
    w.write_head(head);
    std::vector<std::vector<std::byte>> buffers(slots, std::vector<std::byte>(1 << 20));
    std::vector<uint64_t> tickets(slots, 0);
    for (uint64_t i = 0; i < records; ++i) {
        auto& buf = buffers[i % slots];
        w.wait_released(tickets[i % slots]);
        for (size_t j = 0; j < buf.size(); j += 512) buf[j] = static_cast<std::byte>(i * 7 + j / 512);
        size_t n = (i % 4 == 3) ? 8192 : buf.size() - 4096 * (i % 5);  // some below the copy threshold
        if (i % 6 == 0) w.write_string(fmt::format("vma {}", i), i + 1);
        tickets[i % slots] = w.write_pages_borrowed(0x7f0000000000ull + (i << 20), 12, std::span(buf).first(n), i + 1);
    }
    w.finish();
}

std::string error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const myrt::Error& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST(Transport, ParsesTcpAddresses) {
    auto a = transport::parse_tcp_address("tcp://127.0.0.1:9000");
    EXPECT_EQ(a.host, "127.0.0.1");
    EXPECT_EQ(a.port, 9000);
    auto b = transport::parse_tcp_address("[::1]:7");
    EXPECT_EQ(b.host, "::1");
    EXPECT_EQ(b.port, 7);
    EXPECT_EQ(transport::parse_tcp_address("0.0.0.0:0").port, 0);
    EXPECT_THAT(error_of([] { transport::parse_tcp_address("tcp://host"); }), HasSubstr("has no port"));
    EXPECT_THAT(error_of([] { transport::parse_tcp_address("host:99999"); }), HasSubstr("invalid port '99999'"));
    EXPECT_THAT(error_of([] { transport::parse_tcp_address("host:12ab"); }), HasSubstr("invalid port"));
}

TEST(Transport, FileSinkAppearsOnlyWhenFinished) {
    TempDir dir;
    auto path = (dir / "myrt.img").string();
    {
        transport::FileSink sink(path);
        image::RecordWriter w(sink);
        w.write_head(image::make_head(0));
        w.write_string("half-written");
        EXPECT_TRUE(fs::exists(path + ".partial"));
        EXPECT_FALSE(fs::exists(path));
        w.finish();
    }
    EXPECT_TRUE(fs::exists(path));
    EXPECT_FALSE(fs::exists(path + ".partial"));
}

TEST(Transport, FailedWriteLeavesNoCompleteLookingImage) {
    TempDir dir;
    auto path = (dir / "myrt.img").string();
    auto msg = error_of([&] {
        transport::FileSink sink(path);
        image::RecordWriter w(sink);
        w.write_head(image::make_head(0));
        std::vector<std::byte> pages(8 << 20);
        w.write_pages(0x1000, 12, pages);
        w.write_record(image::RecordType::objref, {});  // wrong size: the checkpoint fails here
    });
    EXPECT_THAT(msg, HasSubstr("OBJREF record of 0 bytes"));
    EXPECT_FALSE(fs::exists(path));
    EXPECT_FALSE(fs::exists(path + ".partial"));
    EXPECT_TRUE(fs::is_empty(dir.str()));
}

TEST(Transport, UnwritableImagePathIsNamed) {
    EXPECT_THAT(error_of([] { transport::FileSink sink("/nonexistent-dir/x/myrt.img"); }),
                HasSubstr("creating the image file /nonexistent-dir/x/myrt.img.partial"));
}

TEST(Transport, AnImageThatIsNotARegularFileIsRefusedWithoutBlocking) {
    TempDir dir;
    std::string fifo = dir.str() + "/myrt.img";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    EXPECT_THAT(error_of([&] { transport::FileSource src(fifo); }), HasSubstr(fifo + " is not a regular file"));
    EXPECT_THAT(error_of([&] { transport::FileSource src(dir.str()); }), HasSubstr("is not a regular file"));
}

TEST(Transport, LoopbackTcpStreamArrivesIdentical) {
    TempDir dir;
    transport::TcpListener listener("127.0.0.1:0");
    tools::ReceiveResult result;
    std::exception_ptr receive_error;
    std::thread receiver([&] {
        try {
            result = tools::receive_image(listener, dir.str());
        } catch (...) {
            receive_error = std::current_exception();
        }
    });
    auto head = image::make_head(0);
    transport::MemorySink expected;
    write_image(expected, head, 24);
    {
        transport::TcpSink sink(fmt::format("tcp://127.0.0.1:{}", listener.port()));
        write_image(sink, head, 24);  // finish() returns only after the receiver's acknowledgement
    }
    receiver.join();
    ASSERT_FALSE(receive_error);
    EXPECT_EQ(result.path, tools::image_stream_path(dir.str()));
    EXPECT_EQ(result.bytes, expected.bytes().size());
    EXPECT_TRUE(file_bytes(result.path) == expected.bytes());
    EXPECT_FALSE(fs::exists(result.path + ".partial"));
}

TEST(Transport, PipelinedHandOffsArriveIdenticalToAFileAndOverTcp) {
    auto head = image::make_head(0);
    transport::MemorySink expected;
    write_image_pipelined(expected, head, 40, 3);
    TempDir dir;
    {
        auto path = (dir / "myrt.img").string();
        transport::FileSink sink(path);
        write_image_pipelined(sink, head, 40, 3);
        EXPECT_TRUE(file_bytes(path) == expected.bytes()) << "file";
    }
    fs::create_directories(dir / "rx");
    transport::TcpListener listener("127.0.0.1:0");
    tools::ReceiveResult result;
    std::exception_ptr receive_error;
    std::thread receiver([&] {
        try {
            result = tools::receive_image(listener, (dir / "rx").string());
        } catch (...) {
            receive_error = std::current_exception();
        }
    });
    {
        transport::TcpSink sink(fmt::format("tcp://127.0.0.1:{}", listener.port()));
        write_image_pipelined(sink, head, 40, 3);
    }
    receiver.join();
    ASSERT_FALSE(receive_error);
    EXPECT_TRUE(file_bytes(result.path) == expected.bytes()) << "tcp";
}

TEST(Transport, ReceiverRejectsACorruptStreamAndTheSenderHearsOfIt) {
    TempDir dir;
    transport::TcpListener listener("127.0.0.1:0");
    std::string receive_error;
    std::thread receiver([&] { receive_error = error_of([&] { tools::receive_image(listener, dir.str()); }); });
    transport::MemorySink image;
    write_image(image, image::make_head(0), 2);
    image.bytes()[400] ^= std::byte{0x10};
    std::string send_error = error_of([&] {
        transport::TcpSink sink(fmt::format("tcp://127.0.0.1:{}", listener.port()));
        sink.write(image.bytes());
        sink.finish();
    });
    receiver.join();
    EXPECT_THAT(receive_error, HasSubstr("received image rejected, nothing stored"));
    EXPECT_THAT(send_error, HasSubstr("without confirming the stream"));
    EXPECT_FALSE(fs::exists(tools::image_stream_path(dir.str())));
    EXPECT_FALSE(fs::exists(tools::image_stream_path(dir.str()) + ".partial"));
}

TEST(Transport, KillingTheReceiverMidwayFailsTheSenderClearly) {
    transport::TcpListener listener("127.0.0.1:0");
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        // Not the real receiver: a process that takes 4 MiB and dies.
        auto src = listener.accept();
        size_t got = 0;
        while (got < (4u << 20)) {
            auto c = src->read_chunk(1 << 20);
            if (c.empty()) break;
            got += c.size();
        }
        ::kill(::getpid(), SIGKILL);
    }
    std::string msg = error_of([&] {
        transport::TcpSink sink(fmt::format("tcp://127.0.0.1:{}", listener.port()));
        write_image(sink, image::make_head(0), 512);
    });
    int status = 0;
    ::waitpid(child, &status, 0);
    EXPECT_TRUE(WIFSIGNALED(status));
    EXPECT_THAT(msg, HasSubstr(fmt::format("sending the image to tcp://127.0.0.1:{} failed: the receiver closed the connection",
                                           listener.port())));
}

TEST(Transport, ConnectionRefusedIsNamed) {
    uint16_t port;
    {
        transport::TcpListener l("127.0.0.1:0");
        port = l.port();
    }
    EXPECT_THAT(error_of([&] { transport::TcpSink s(fmt::format("tcp://127.0.0.1:{}", port)); }),
                HasSubstr(fmt::format("connecting to the image receiver at tcp://127.0.0.1:{}", port)));
}

TEST(Transport, LargeStreamKeepsMemoryBounded) {
    // In a child of its own: the peak RSS is then this stream's, whatever the
    // tests before it in the same process held.
    TempDir dir(fs::exists("/dev/shm") ? fs::path("/dev/shm") : fs::temp_directory_path());
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        try {
            transport::TcpListener listener("127.0.0.1:0");
            std::exception_ptr receive_error;
            std::thread receiver([&] {
                try {
                    tools::receive_image(listener, dir.str());
                } catch (...) {
                    receive_error = std::current_exception();
                }
            });
            {
                transport::TcpSink sink(fmt::format("tcp://127.0.0.1:{}", listener.port()));
                write_image(sink, image::make_head(0), 768);
            }
            receiver.join();
            ::_exit(receive_error ? 1 : 0);
        } catch (...) {
            ::_exit(2);
        }
    }
    int status = 0;
    rusage ru{};
    ASSERT_EQ(::wait4(child, &status, 0, &ru), child);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child status " << status;
    EXPECT_GT(fs::file_size(tools::image_stream_path(dir.str())), 256u << 20);
    EXPECT_LT(ru.ru_maxrss, 64 * 1024) << "peak RSS in KiB, sender and receiver together";
}

TEST(Transport, ShortWriteIsResubmittedAndAFullDeviceIsAnError) {
    // RLIMIT_FSIZE turns the write that crosses the limit into a short write
    // and the resubmitted rest into EFBIG: both paths of the writer, in a child
    // so the limit does not touch the test process.
    TempDir dir;
    auto path = (dir / "myrt.img").string();
    int report[2];
    ASSERT_EQ(::pipe(report), 0);
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        ::signal(SIGXFSZ, SIG_IGN);
        rlimit lim{(3u << 20) / 2, RLIM_INFINITY};
        ::setrlimit(RLIMIT_FSIZE, &lim);
        std::string msg = error_of([&] {
            transport::FileSink sink(path);
            write_image(sink, image::make_head(0), 6);
        });
        msg += fs::exists(path) || fs::exists(path + ".partial") ? " [file left behind]" : "";
        ::write(report[1], msg.data(), msg.size());
        ::_exit(0);
    }
    ::close(report[1]);
    std::string msg;
    char buf[512];
    ssize_t n;
    while ((n = ::read(report[0], buf, sizeof(buf))) > 0) msg.append(buf, static_cast<size_t>(n));
    ::close(report[0]);
    ::waitpid(child, nullptr, 0);
    EXPECT_THAT(msg, HasSubstr(fmt::format("writing the image to {}.partial failed: File too large", path)));
    EXPECT_THAT(msg, ::testing::Not(HasSubstr("left behind")));
}

TEST(Transport, SenderThatStopsMidwayLeavesNothingOnTheReceiver) {
    TempDir dir;
    transport::TcpListener listener("127.0.0.1:0");
    std::string receive_error;
    std::thread receiver([&] { receive_error = error_of([&] { tools::receive_image(listener, dir.str()); }); });
    {
        transport::TcpSink sink(fmt::format("tcp://127.0.0.1:{}", listener.port()));
        image::RecordWriter w(sink);
        w.write_head(image::make_head(0));
        w.write_pages(0x1000, 12, std::vector<std::byte>(3 << 20));
        // The checkpoint fails here: the sink goes away without finish(), no TAIL.
    }
    receiver.join();
    EXPECT_THAT(receive_error, HasSubstr("received image rejected, nothing stored"));
    EXPECT_THAT(receive_error, HasSubstr("image truncated at offset"));
    EXPECT_FALSE(fs::exists(tools::image_stream_path(dir.str())));
    EXPECT_FALSE(fs::exists(tools::image_stream_path(dir.str()) + ".partial"));
}
