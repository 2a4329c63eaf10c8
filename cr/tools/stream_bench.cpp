// Streams N MiB of PAGES records to a file or over loopback TCP with the image
// writer (io_uring transport), or the same number of bytes with a plain
// write()/send() loop, and prints throughput and peak RSS. bench/stream_bench.sh
// runs the pairs side by side; ctest does not run this.
//
//   stream_bench {stream|plain} file PATH MIB
//   stream_bench {stream|plain} tcp - MIB
//   stream_bench {stream|plain} read PATH          (read back an image written by "stream file")
#include "cr/image/host_info.hpp"
#include "cr/image/record_reader.hpp"
#include "cr/image/record_writer.hpp"
#include "cr/transport/file_stream.hpp"
#include "cr/transport/tcp_stream.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"

#include <cstdlib>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <iostream>
#include <vector>

using namespace myrt;
using namespace myrt::cr;

namespace {

// Bytes per PAGES record and per plain write()/send(): STREAM_CHUNK_MIB (default
// 4). A checkpoint writes memory in runs of up to dump_memory's buffer (4 MiB).
const size_t chunk = [] {
    const char* e = std::getenv("STREAM_CHUNK_MIB");
    size_t mib = e ? std::strtoul(e, nullptr, 10) : 4;
    return (mib ? mib : 1) << 20;
}();
constexpr uint32_t page_shift = 12;

uint64_t records_for(uint64_t mib) { return std::max<uint64_t>(1, (mib << 20) / chunk); }

uint64_t stream_bytes_for(uint64_t mib) {
    return sizeof(image::RecordHeader) + sizeof(image::HeadRecord) +
           records_for(mib) * (sizeof(image::RecordHeader) + sizeof(image::PagesRecord) + chunk) +
           sizeof(image::RecordHeader) +
           sizeof(image::TailRecord);
}

std::vector<std::byte> page_data() {
    std::vector<std::byte> data(chunk);
    for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::byte>((i * 131) ^ (i >> 12));
    return data;
}

// Like a checkpoint (dump_memory_to_image): each record's contents are handed
// off (write_borrowed) and a producer slot is reused only once its write is
// released, STREAM_BUFFERS (default 4) slots deep. STREAM_BUFFERS=0: the
// synchronous write_pages, one record at a time.
const unsigned depth = [] {
    const char* e = std::getenv("STREAM_BUFFERS");
    return e ? static_cast<unsigned>(std::strtoul(e, nullptr, 10)) : 4u;
}();

void write_stream(transport::Sink& sink, uint64_t mib, const std::vector<std::byte>& data) {
    image::RecordWriter w(sink);
    w.write_head(image::make_head(0));
    std::vector<uint64_t> slots(std::max(depth, 1u), 0);
    for (uint64_t i = 0; i < records_for(mib); ++i) {
        uint64_t vaddr = 0x7f0000000000ull + i * chunk;
        if (depth == 0) {
            w.write_pages(vaddr, page_shift, data);
            continue;
        }
        uint64_t& slot = slots[i % slots.size()];
        w.wait_released(slot);  // the producer would now refill this slot
        slot = w.write_pages_borrowed(vaddr, page_shift, data);
    }
    w.finish();
}

void plain_write_all(int fd, uint64_t total, const std::vector<std::byte>& data, bool socket) {
    while (total > 0) {
        size_t n = static_cast<size_t>(std::min<uint64_t>(total, data.size()));
        ssize_t rc = socket ? ::send(fd, data.data(), n, MSG_NOSIGNAL) : ::write(fd, data.data(), n);
        if (rc < 0) {
            if (errno == EINTR) continue;
            throw_errno("plain {}", socket ? "send" : "write");
        }
        total -= static_cast<uint64_t>(rc);
    }
}

// A receiver that drains the socket into one buffer and acknowledges at EOF,
// the same for both sides so only the sender differs.
pid_t start_receiver(uint16_t& port) {
    UniqueFd lfd(check(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), "socket"));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    check(::bind(lfd.get(), reinterpret_cast<sockaddr*>(&a), sizeof(a)), "bind");
    check(::listen(lfd.get(), 1), "listen");
    socklen_t len = sizeof(a);
    check(::getsockname(lfd.get(), reinterpret_cast<sockaddr*>(&a), &len), "getsockname");
    port = ntohs(a.sin_port);
    pid_t pid = check(::fork(), "fork");
    if (pid == 0) {
        int c = ::accept(lfd.get(), nullptr, nullptr);
        std::vector<char> buf(chunk);
        ssize_t n;
        while ((n = ::recv(c, buf.data(), buf.size(), 0)) > 0) {}
        unsigned char ack = transport::stream_ack_byte;
        ::send(c, &ack, 1, MSG_NOSIGNAL);
        ::_exit(n == 0 ? 0 : 1);
    }
    return pid;
}

void report(const std::string& what, uint64_t bytes, double seconds) {
    rusage ru{};
    ::getrusage(RUSAGE_SELF, &ru);
    std::cout << fmt::format("{{\"what\": \"{}\", \"bytes\": {}, \"seconds\": {:.3f}, \"mb_per_s\": {:.0f}, \"maxrss_kib\": {}}}", what,
                             bytes, seconds, static_cast<double>(bytes) / seconds / 1e6, ru.ru_maxrss)
              << std::endl;
}

}  // namespace

int main(int argc, char** argv) try {
    if (argc < 4) {
        std::cerr << "usage: stream_bench {stream|plain} {file PATH MIB|tcp - MIB|read PATH}\n";
        return 2;
    }
    std::string side = argv[1], target = argv[2], path = argv[3];
    bool stream = side == "stream";
    using clock = std::chrono::steady_clock;

    if (target == "read") {
        auto t0 = clock::now();
        uint64_t bytes = 0;
        if (stream) {
            transport::FileSource src(path);
            image::RecordReader r(src);
            while (auto h = r.next()) {
                if (h->type == static_cast<uint32_t>(image::RecordType::pages)) {
                    r.read_fixed<image::RecordType::pages>();
                    while (!r.read_chunk(chunk).empty()) {}
                }
            }
            bytes = r.offset();
        } else {
            UniqueFd fd(check(::open(path.c_str(), O_RDONLY | O_CLOEXEC), "open {}", path));
            std::vector<std::byte> buf(chunk);
            ssize_t n;
            while ((n = ::read(fd.get(), buf.data(), buf.size())) > 0) bytes += static_cast<uint64_t>(n);
            check(n, "read {}", path);
        }
        report(side + " read", bytes, std::chrono::duration<double>(clock::now() - t0).count());
        return 0;
    }

    if (argc < 5) throw Error("missing MIB");
    uint64_t mib = std::stoull(argv[4]);
    uint64_t total = stream_bytes_for(mib);
    uint16_t port = 0;
    pid_t receiver = target == "tcp" ? start_receiver(port) : 0;
    auto data = page_data();

    auto t0 = clock::now();
    if (target == "file") {
        if (stream) {
            transport::FileSink sink(path);
            write_stream(sink, mib, data);
        } else {
            UniqueFd fd(check(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600), "open {}", path));
            plain_write_all(fd.get(), total, data, false);
            check(::fsync(fd.get()), "fsync {}", path);
        }
    } else if (target == "tcp") {
        std::string addr = fmt::format("tcp://127.0.0.1:{}", port);
        if (stream) {
            transport::TcpSink sink(addr);
            write_stream(sink, mib, data);
        } else {
            UniqueFd fd(check(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), "socket"));
            sockaddr_in a{};
            a.sin_family = AF_INET;
            a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            a.sin_port = htons(port);
            check(::connect(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof(a)), "connect");
            plain_write_all(fd.get(), total, data, true);
            ::shutdown(fd.get(), SHUT_WR);
            char ack;
            if (::recv(fd.get(), &ack, 1, 0) != 1) throw Error("receiver did not acknowledge");
        }
    } else {
        throw Error("target must be file, tcp or read");
    }
    double seconds = std::chrono::duration<double>(clock::now() - t0).count();
    if (receiver) {
        int status = 0;
        ::waitpid(receiver, &status, 0);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) throw Error("receiver failed");
    }
    report(side + " " + target, total, seconds);
    return 0;
} catch (const std::exception& e) {
    std::cerr << "stream_bench: " << e.what() << "\n";
    return 1;
}
