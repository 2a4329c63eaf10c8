#include "cr/transport/tcp_stream.hpp"

#include "util/error.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <charconv>

namespace myrt::cr::transport {

namespace {

constexpr std::string_view tcp_scheme = "tcp://";

std::string format_host_port(const HostPort& hp) {
    if (hp.host.find(':') != std::string::npos) return fmt::format("[{}]:{}", hp.host, hp.port);
    return fmt::format("{}:{}", hp.host, hp.port);
}

struct AddrInfoDeleter {
    void operator()(addrinfo* ai) const { freeaddrinfo(ai); }
};
using AddrInfoPtr = std::unique_ptr<addrinfo, AddrInfoDeleter>;

AddrInfoPtr resolve(const HostPort& hp, bool passive) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0);
    addrinfo* res = nullptr;
    std::string port = std::to_string(hp.port);
    int rc = getaddrinfo(hp.host.empty() ? nullptr : hp.host.c_str(), port.c_str(), &hints, &res);
    if (rc != 0) fail("cannot resolve {}: {}", format_host_port(hp), gai_strerror(rc));
    return AddrInfoPtr(res);
}

}  // namespace

bool is_tcp_address(const std::string& target) { return target.starts_with(tcp_scheme); }

HostPort parse_tcp_address(const std::string& address) {
    std::string_view rest = address;
    if (rest.starts_with(tcp_scheme)) rest.remove_prefix(tcp_scheme.size());
    HostPort hp;
    std::string_view port_text;
    if (rest.starts_with('[')) {
        auto close = rest.find(']');
        if (close == std::string_view::npos || close + 1 >= rest.size() || rest[close + 1] != ':')
            fail("address {} is not [IPV6]:PORT", address);
        hp.host = std::string(rest.substr(1, close - 1));
        port_text = rest.substr(close + 2);
    } else {
        auto colon = rest.rfind(':');
        if (colon == std::string_view::npos) fail("address {} has no port (expected HOST:PORT)", address);
        hp.host = std::string(rest.substr(0, colon));
        port_text = rest.substr(colon + 1);
    }
    unsigned port = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || port > 65535 || port_text.empty())
        fail("address {} has an invalid port '{}'", address, std::string(port_text));
    hp.port = static_cast<uint16_t>(port);
    return hp;
}

TcpSink::TcpSink(const std::string& address, UringBufferConfig config) {
    HostPort hp = parse_tcp_address(address);
    if (hp.host.empty()) fail("address {} has no host to connect to", address);
    name_ = "tcp://" + format_host_port(hp);
    auto ai = resolve(hp, false);
    int last_errno = 0;
    for (addrinfo* p = ai.get(); p; p = p->ai_next) {
        UniqueFd fd(::socket(p->ai_family, p->ai_socktype | SOCK_CLOEXEC, p->ai_protocol));
        if (!fd) {
            last_errno = errno;
            continue;
        }
        if (::connect(fd.get(), p->ai_addr, p->ai_addrlen) == 0) {
            fd_ = std::move(fd);
            break;
        }
        last_errno = errno;
    }
    if (!fd_) throw SystemError(last_errno, fmt::format("connecting to the image receiver at {}", name_));
    writer_ = std::make_unique<UringWriter>(fd_.get(), UringWriter::Target::socket, name_, config);
}

void TcpSink::finish() {
    writer_->flush();
    if (::shutdown(fd_.get(), SHUT_WR) < 0) throw_errno("closing the image stream to {}", name_);
    // The receiver acknowledges only after it has read and checked the whole
    // stream up to TAIL; anything else means the image did not arrive intact.
    unsigned char byte = 0;
    ssize_t n;
    do n = ::recv(fd_.get(), &byte, 1, 0);
    while (n < 0 && errno == EINTR);
    if (n < 0) throw_errno("the image receiver at {} failed before confirming the stream", name_);
    if (n == 0 || byte != stream_ack_byte)
        fail("the image receiver at {} closed the connection without confirming the stream (it rejected or lost the image)", name_);
    writer_.reset();
    fd_.reset();
}

void TcpSource::acknowledge() {
    unsigned char byte = stream_ack_byte;
    ssize_t n;
    do n = ::send(fd_.get(), &byte, 1, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    if (n != 1) throw_errno("confirming the image stream to {}", name_);
}

TcpSource::TcpSource(UniqueFd connected, std::string peer, UringBufferConfig config)
    : name_(std::move(peer)), fd_(std::move(connected)) {
    reader_ = std::make_unique<UringReader>(fd_.get(), UringWriter::Target::socket, name_, config);
}

TcpListener::TcpListener(const std::string& address) : address_(parse_tcp_address(address)) {
    auto ai = resolve(address_, true);
    int last_errno = 0;
    for (addrinfo* p = ai.get(); p; p = p->ai_next) {
        UniqueFd fd(::socket(p->ai_family, p->ai_socktype | SOCK_CLOEXEC, p->ai_protocol));
        if (!fd) {
            last_errno = errno;
            continue;
        }
        int one = 1;
        ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (::bind(fd.get(), p->ai_addr, p->ai_addrlen) == 0 && ::listen(fd.get(), 1) == 0) {
            fd_ = std::move(fd);
            break;
        }
        last_errno = errno;
    }
    if (!fd_) throw SystemError(last_errno, fmt::format("listening for an image on {}", format_host_port(address_)));
    sockaddr_storage ss{};
    socklen_t len = sizeof(ss);
    check(::getsockname(fd_.get(), reinterpret_cast<sockaddr*>(&ss), &len), "getsockname of the image listener");
    port_ = ntohs(ss.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port
                                           : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
}

std::string TcpListener::describe() const { return format_host_port(HostPort{address_.host, port_}); }

std::unique_ptr<TcpSource> TcpListener::accept(UringBufferConfig config) {
    sockaddr_storage ss{};
    socklen_t len = sizeof(ss);
    int fd;
    do fd = ::accept4(fd_.get(), reinterpret_cast<sockaddr*>(&ss), &len, SOCK_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    if (fd < 0) throw_errno("accepting an image connection on {}", describe());
    char host[NI_MAXHOST] = "?";
    char serv[NI_MAXSERV] = "?";
    getnameinfo(reinterpret_cast<sockaddr*>(&ss), len, host, sizeof(host), serv, sizeof(serv), NI_NUMERICHOST | NI_NUMERICSERV);
    return std::make_unique<TcpSource>(UniqueFd(fd), fmt::format("tcp peer {}:{}", host, serv), config);
}

}  // namespace myrt::cr::transport
