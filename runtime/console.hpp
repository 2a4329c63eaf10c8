#pragma once
// Terminals: the pty a container with process.terminal gets, handed to the
// caller over --console-socket (SCM_RIGHTS), as conmon and containerd expect.
#include <optional>
#include <string>

#include "spec/config.hpp"
#include "util/fd.hpp"

namespace myrt::runtime {

UniqueFd connect_console_socket(const std::string& path);

// Where a new terminal's master goes: the caller's --console-socket, or, when
// there is none (foreground run/exec), one end of a socketpair whose other
// end (`ours`) we keep to receive the master and proxy it.
struct ConsoleChannel {
    UniqueFd to_container;
    UniqueFd ours;
};
ConsoleChannel open_console_channel(const std::string& console_socket);
void send_fd(int sock, int fd, const std::string& name);
UniqueFd receive_fd(int sock);

// Inside the container (after pivot_root, after setsid): opens a pty from the
// container's /dev/ptmx, sends the master over `sock`, and makes the slave the
// controlling terminal and stdio. With `proxied` (the runtime copies the pty to
// its own stdio) ONLCR is cleared first, as runc does: output piped through the
// runtime keeps the container's "\n" instead of "\r\n".
void setup_container_console(int sock, const std::optional<spec::ConsoleSize>& size, bool proxied);

// Foreground `run -t` / `exec -t` without a console socket: copies between our
// stdio and the pty master until `pid` exits; returns its exit status code.
int proxy_terminal_until_exit(int master, pid_t pid);

}  // namespace myrt::runtime
