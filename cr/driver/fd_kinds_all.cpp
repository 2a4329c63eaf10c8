// The list of fd kinds the checkpoint and restore drivers know. A new kind is
// one file in its subsystem (cr/files, cr/tty, cr/net) plus one line here.
#include "cr/driver/fd_kinds_all.hpp"

#include "cr/files/fd_kind_ops.hpp"
#include "cr/net/inet_socket.hpp"  // cr/net
#include "cr/net/unix_socket.hpp"  // cr/net
#include "cr/files/object_kinds.hpp"  // objects area
#include "cr/tty/pty.hpp"             // cr/tty
#include "cr/ipc/mqueue_fd.hpp"       // cr/ipc

#include <mutex>

namespace myrt::cr::driver {

void register_fd_kinds() {
    static std::once_flag once;
    std::call_once(once, [] {
        [[maybe_unused]] auto& registry = files::FdKindRegistry::global();
        // registry.add(files::make_eventfd_kind());  -- one line per kind, as they come
        registry.add(net::make_inet_socket_kind());  // cr/net: TCP and UDP sockets
        registry.add(net::make_unix_socket_kind());  // cr/net: AF_UNIX and the sockets it refuses by family
        // --- objects (begin) ---
        registry.add(files::make_eventfd_kind());
        registry.add(files::make_epoll_kind());
        registry.add(files::make_signalfd_kind());
        registry.add(files::make_timerfd_kind());
        registry.add(files::make_inotify_kind());
        registry.add(files::make_memfd_kind());
        registry.add(files::make_pidfd_kind());
        // --- objects (end) ---
        // --- cr/tty (begin) ---
        registry.add(tty::make_pty_master_kind());
        registry.add(tty::make_pty_slave_kind());
        objhash::KindRegistry::global().add(tty::make_pty_leak_kind());
        // --- cr/tty (end) ---
        registry.add(ipc::make_mqueue_fd_kind());  // cr/ipc: POSIX queue descriptors
    });
}

}  // namespace myrt::cr::driver
