#include "runtime/console.hpp"

#include "util/scm.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cstring>

#include "util/error.hpp"

namespace myrt::runtime {

UniqueFd connect_console_socket(const std::string& path) {
    UniqueFd s(check(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), "socket"));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof addr.sun_path) fail("--console-socket path is too long: {}", path);
    std::memcpy(addr.sun_path, path.c_str(), path.size());
    if (::connect(s.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
        throw_errno("connect to console socket {}", path);
    return s;
}

ConsoleChannel open_console_channel(const std::string& console_socket) {
    ConsoleChannel c;
    if (!console_socket.empty()) {
        c.to_container = connect_console_socket(console_socket);
        return c;
    }
    int sv[2];
    check(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), "socketpair for the terminal");
    c.to_container.reset(sv[0]);
    c.ours.reset(sv[1]);
    return c;
}

void send_fd(int sock, int fd, const std::string& name) {
    try {
        myrt::send_fd(sock, fd, std::as_bytes(std::span(name.data(), name.size())));
    } catch (const SystemError& e) {
        throw SystemError(e.code(), "send the terminal over the console socket");
    }
}

UniqueFd receive_fd(int sock) {
    std::byte name[4096];
    auto [n, fd] = myrt::receive_fd(sock, name);
    if (!fd) fail("no terminal received from the container");
    return std::move(fd);
}

void setup_container_console(int sock, const std::optional<spec::ConsoleSize>& size, bool proxied) {
    UniqueFd master(::open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (!master) throw_errno("open /dev/ptmx in the container");
    int unlock = 0;
    check(::ioctl(master.get(), TIOCSPTLCK, &unlock), "unlock the pty");
    // TIOCGPTPEER opens the slave through the master: no path lookup that a
    // hostile /dev/pts in the rootfs could redirect.
    UniqueFd slave(::ioctl(master.get(), TIOCGPTPEER, O_RDWR | O_NOCTTY));
    if (!slave) throw_errno("open the pty slave");
    if (size && size->height && size->width) {
        winsize ws{};
        ws.ws_row = static_cast<unsigned short>(size->height);
        ws.ws_col = static_cast<unsigned short>(size->width);
        check(::ioctl(slave.get(), TIOCSWINSZ, &ws), "set the terminal size");
    }
    if (proxied) {  // before the master leaves: nothing is written yet
        termios t{};
        check(::tcgetattr(slave.get(), &t), "read the terminal attributes");
        t.c_oflag &= ~static_cast<tcflag_t>(ONLCR);
        check(::tcsetattr(slave.get(), TCSANOW, &t), "clear ONLCR on the terminal");
    }
    send_fd(sock, master.get(), "/dev/ptmx");
    master.reset();
    for (int i = 0; i < 3; ++i) check(::dup2(slave.get(), i), "dup2 the terminal to fd {}", i);
    check(::ioctl(0, TIOCSCTTY, 0), "make the pty the controlling terminal");
}

namespace {
struct RawMode {
    termios saved{};
    bool active = false;
    RawMode() {
        if (::isatty(0) && ::tcgetattr(0, &saved) == 0) {
            termios raw = saved;
            ::cfmakeraw(&raw);
            active = ::tcsetattr(0, TCSANOW, &raw) == 0;
        }
    }
    ~RawMode() {
        if (active) ::tcsetattr(0, TCSANOW, &saved);
    }
};

bool pump(int from, int to) {
    char buf[16384];
    ssize_t n = ::read(from, buf, sizeof buf);
    if (n <= 0) return false;
    ssize_t off = 0;
    while (off < n) {
        ssize_t w = ::write(to, buf + off, static_cast<size_t>(n - off));
        if (w <= 0) {
            if (w < 0 && errno == EINTR) continue;
            return false;
        }
        off += w;
    }
    return true;
}
}  // namespace

int proxy_terminal_until_exit(int master, pid_t pid) {
    RawMode raw;
    if (::isatty(0)) {
        winsize ws{};
        if (::ioctl(0, TIOCGWINSZ, &ws) == 0) ::ioctl(master, TIOCSWINSZ, &ws);
    }
    bool stdin_open = true;
    for (;;) {
        pollfd fds[2] = {{master, POLLIN, 0}, {0, static_cast<short>(stdin_open ? POLLIN : 0), 0}};
        int r = ::poll(fds, stdin_open ? 2 : 1, 100);
        if (r > 0) {
            if (fds[0].revents & POLLIN) pump(master, 1);
            else if (fds[0].revents & (POLLHUP | POLLERR)) break;
            if (stdin_open && (fds[1].revents & (POLLIN | POLLHUP))) stdin_open = pump(0, master);
        }
        int status;
        pid_t w = ::waitpid(pid, &status, WNOHANG);
        if (w == pid) {
            while (::poll(fds, 1, 0) > 0 && (fds[0].revents & POLLIN) && pump(master, 1)) {
            }
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        }
    }
    int status;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace myrt::runtime
