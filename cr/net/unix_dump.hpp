#pragma once
// Checkpoint side of the AF_UNIX sockets: the whole table is built and
// checked on the first socket fd the files layer asks about (before anything
// is written), then written once after the first socket description.
#include "cr/files/files.hpp"
#include "cr/net/unix_diag.hpp"
#include "cr/net/unix_table.hpp"

#include <map>
#include <set>
#include <vector>
#include <memory>
#include <utility>

namespace myrt::cr::net {

struct UnixDumpState {
    bool built = false;
    bool allow_external = false;  // --ext-unix-sk
    bool table_written = false;
    std::map<uint64_t, UnixDiag> diag;                   // the whole network namespace
    std::map<uint64_t, std::pair<pid_t, int>> holders;   // container sockets: a task and fd holding each
    UnixTable table;
    // fds in flight: myrt's copies from the peeks (kept open until the dump
    // has written them), and the sockets held by no task, only in flight.
    std::vector<UniqueFd> in_flight;
    std::set<uint64_t> in_flight_only;
};

UnixDumpState& unix_dump_state(files::DumpContext& ctx);

// Builds ctx's table once: every unix socket held by a task of the container
// (inherited stdio left out) and the pending connections on its listeners,
// with their options and queues. Throws naming socket, fd and pid for what
// cannot be restored: a peer outside the container (unless allowed), file
// descriptors in flight, data sent on a connection not yet accepted, a
// relative bound path, another network namespace.
void build_unix_table(files::DumpContext& ctx, UnixDumpState& st);

// Throws for a socket fd that is not an AF_UNIX socket of the table, naming its family.
void check_unix_fd(pid_t pid, const files::OpenFd& fd, files::DumpContext& ctx, UnixDumpState& st);

// Writes the descriptions in flight (files, pipes) and gives each its objref;
// called by the table's description before the table.
void dump_unix_in_flight(files::DumpContext& ctx, UnixDumpState& st, image::RecordWriter& w);

}  // namespace myrt::cr::net
