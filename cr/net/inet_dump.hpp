#pragma once
// Checkpoint side of the TCP and UDP sockets: the whole table is built and
// checked on the first inet socket fd the files layer asks about (before
// anything is written), then written once after the first inet description.
// Connections saved through TCP_REPAIR stay in repair mode (and locked, in
// an external namespace) until the container is killed; a failed checkpoint
// or --leave-running takes them out again.
#include "cr/files/files.hpp"
#include "cr/net/inet_table.hpp"
#include "util/fd.hpp"

#include <map>
#include <memory>
#include <utility>

namespace myrt::cr::net {

struct InetDumpState {
    bool built = false;
    bool tcp_established = false;   // --tcp-established
    bool netns_external = false;    // joined by path: it outlives the container, connections are locked
    bool table_written = false;
    bool committed = false;         // the container is being killed: repair mode and locks stay
    pid_t init_pid = 0;
    std::map<uint64_t, std::pair<pid_t, int>> holders;  // container sockets: a task and fd holding each
    InetTable table;
    std::vector<UniqueFd> repaired;  // copies of the sockets put in repair mode
    std::vector<InetSocket> locked;  // connections with a DROP rule in the namespace
    // Pending connections accepted to read the data their clients sent
    // before accept(), in queue order: the accepted end (ours, in repair
    // mode: closing it sends nothing), a copy of the container's client, and
    // the client as saved. undo() re-makes them in the listener's queue.
    struct Accepted {
        UniqueFd child, client;
        InetSocket saved;
    };
    std::vector<Accepted> accepted;

    void undo() noexcept;            // repair mode off, rules removed
    ~InetDumpState();
};

InetDumpState& inet_dump_state(files::DumpContext& ctx);

// Builds ctx's table once. Throws naming socket, fd and pid for what cannot
// be restored: an established connection without --tcp-established, a
// connecting TCP socket, a connection waiting in an accept queue whose
// client is outside or has shut down, a corked UDP
// socket holding data, a socket of another network namespace, a socket
// also held by a process outside the container.
void build_inet_table(files::DumpContext& ctx, InetDumpState& st);
void check_inet_fd(pid_t pid, const files::OpenFd& fd, files::DumpContext& ctx, InetDumpState& st);

}  // namespace myrt::cr::net
