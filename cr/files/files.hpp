#pragma once
// Checkpoint and restore of a process's open files: regular files, directories,
// the container's character devices, deleted-but-open files, pipes and named
// FIFOs with their data in flight, close-on-exec flags, and the container's stdio inherited
// from outside. docs/cr-files.md describes the records and the choices.
//
// Checkpoint (all tasks seized):
//   check_fds(pid, ctx) for every process first, so an unsupported fd fails the
//   checkpoint before anything is written; check_fd_tables_unshared(pids);
//   then dump_fds(pid, ctx, w) per process, after its task records.
// Restore:
//   read_fds(r, ctx) where the driver meets the process's files section (the
//   next record is that process's first files record); it recreates every new
//   shared object (open files, pipes filled with their data) in the restorer
//   and returns the process's fd table; then restore_fds(pid, inj, ctx, table)
//   installs it into the seized task. The restorer's copies of the objects live
//   in ctx.objs: destroy the ObjHash before the tasks run, or a restored reader
//   never sees EOF on a pipe whose write end the restorer still holds.
#include "cr/files/as_task.hpp"
#include "cr/files/fd_kind_ops.hpp"
#include "cr/image/record_reader.hpp"
#include "cr/image/record_writer.hpp"
#include "cr/objhash/objhash.hpp"
#include "cr/ptrace/inject.hpp"

#include <sys/types.h>

#include <any>
#include <array>
#include <functional>
#include <map>
#include <set>
#include <utility>
#include <span>
#include <string>
#include <vector>

namespace myrt::cr::files {

struct DumpContext {
    objhash::ObjHash& objs;
    // The container's root as seen from the checkpointer, e.g. /proc/PID/root.
    // Every recorded path is relative to it and is checked to lead back to the
    // very file that is open.
    std::string root;
    // Says whether fd 0-2 of `pid` is the container's stdio handed in from
    // outside (a pipe or /dev/null of the caller): it is then recorded as
    // "inherited" and re-attached to the restoring caller's fd on restore.
    // Unset: an fd 0-2 counts as inherited when it is a file on a mount the
    // task's mount namespace does not hold (the host's /dev/null), or a pipe or
    // socket whose inode is in `outside_inodes`.
    std::function<bool(pid_t pid, int fd)> inherited_stdio;
    // Inodes of pipes and sockets the container got from outside as its stdio
    // (a shim's pipes or sockets). The leak detector's reports name them: a
    // pipe held at fd 0-2 inside and by the caller outside.
    std::vector<uint64_t> outside_inodes;

    // Open file descriptions met so far, per inode (dev, ino), in kcmp(KCMP_FILE)
    // order so a new fd finds its description in log n kcmp calls. Pipe ends
    // are here too: the collect pass files them under the pipe, so their
    // descriptions have objrefs but no objhash key.
    struct SeenDescription {
        pid_t pid = 0;
        int fd = -1;
        uint64_t objref = 0;
    };
    std::map<std::pair<uint64_t, uint64_t>, std::vector<SeenDescription>> descriptions{};
    // The data object of each named FIFO met so far (dev, ino -> objref):
    // the collect pass files FIFO fds as files, so the data gets a reserved objref.
    struct FifoData {
        uint64_t dev = 0, ino = 0, objref = 0;
    };
    std::vector<FifoData> fifos{};
    // Deleted inodes met so far (dev, ino -> the objref of the description
    // that carries the inode): later descriptions of it are aliases.
    std::map<std::pair<uint64_t, uint64_t>, uint64_t> deleted_inodes{};
    // Descriptions whose owner (F_GETOWN_EX, F_GETSIG) was looked at.
    std::set<uint64_t> owners_seen{};
    // The container's init (its namespaces are the container's), 0 if unknown.
    pid_t init_pid = 0;
    // Per fd kind (FdKindOps::file_kind) state a kind keeps across the dump,
    // e.g. the sockets' peers found through sock_diag.
    std::map<uint32_t, std::any> kind_state{};
    template <class T> T& state_of(uint32_t file_kind) {
        auto& slot = kind_state[file_kind];
        if (!slot.has_value()) slot = T{};
        return std::any_cast<T&>(slot);
    }
};

// Throws a myrt::Error naming the fd, the pid and the object kind if any fd of
// `pid` is of a kind this layer cannot restore (sockets, eventfd, epoll,
// signalfd, timerfd, inotify, fanotify, io_uring, pidfd, ptys, memfds...).
void check_fds(pid_t pid, DumpContext& ctx);

// Throws naming both processes if two of `pids` share one fd table
// (clone(CLONE_FILES) without CLONE_THREAD): not restorable yet.
void check_fd_tables_unshared(std::span<const pid_t> pids);

// Dumps every fd of a seized process: each shared object once (OBJREF + FILE or
// PIPE, keyed in ctx.objs), then FD_TABLE and one FD record per fd.
void dump_fds(pid_t pid, DumpContext& ctx, image::RecordWriter& w);

// fds in flight (cr/net): descriptions myrt itself received by peeking at a
// container socket's queue; fd `fd` of this process. check_in_flight throws
// naming `where` when the description is of a kind that cannot be saved in
// flight (only files, directories, devices, pipes, FIFOs and eventfds can);
// dump_in_flight writes it as any fd's description (once, shared with the
// tasks' fds to it) and returns its objref.
void check_in_flight(int fd, const std::string& where, DumpContext& ctx);
uint64_t dump_in_flight(int fd, DumpContext& ctx, image::RecordWriter& w);

struct RestoreContext {
    objhash::ObjHash& objs;
    // The container's root as seen from the restorer (the rootfs path, or
    // /proc/PID/root of a task already in the container's mount namespace).
    std::string root;
    // The restorer's fds that stand for the container's inherited stdio.
    std::array<int, 3> caller_stdio{0, 1, 2};
    // The container's init, already in the container's namespaces (a kind
    // that must create its object inside them, e.g. a bound socket, joins them).
    pid_t init_pid = 0;
    // Per fd kind state across the restore (see DumpContext::kind_state).
    std::map<uint32_t, std::any> kind_state{};
    template <class T> T& state_of(uint32_t file_kind) {
        auto& slot = kind_state[file_kind];
        if (!slot.has_value()) slot = T{};
        return std::any_cast<T&>(slot);
    }
    // The credentials of the process whose files section is being read: every
    // path is opened, created and watched on this thread, so the task gets
    // nothing it could not open itself (as_task.hpp). Unset: the restorer's
    // own credentials (the files layer's unit tests).
    AsTask* as_task = nullptr;
    void run_as_task(const std::function<void()>& fn) {
        if (as_task) as_task->run(fn);
        else fn();
    }
};

struct FdEntry {
    int fd = -1;
    bool cloexec = false;
    uint32_t kind = 0;            // image::fd_kind_*
    uint32_t inherited_from = 0;  // fd_kind_inherited: 0, 1 or 2
    uint64_t file_objref = 0;
    bool controlling_tty = false; // /dev/tty: opened by the task itself
    uint32_t flags = 0;           // open flags, for controlling_tty and proc_path
    std::string proc_path;        // a procfs file (/proc/N/maps): opened by the task itself
    uint64_t pos = 0;             // proc_path's offset
    const FdKindOps* ops = nullptr; // a registered kind's description: its after_install runs
    // F_SETOWN_EX and F_SETSIG (FILE_OWNER), set by the task itself once every task exists.
    bool async = false;  // O_ASYNC: registered by the task itself, so SIGIO's si_fd is its fd number
    bool has_owner = false;
    int owner_type = 0, owner_pid = 0, owner_signum = 0;
};

struct FdTable {
    std::vector<FdEntry> fds;
};

// Reads one process's files section (objects introduced there, then FD_TABLE
// and its FD records). Every field is checked; objects are created at once.
FdTable read_fds(image::RecordReader& r, RestoreContext& ctx);

// Installs `table` into the seized task `pid` through injected syscalls: fds
// not in the table are closed, every listed fd ends up at its number with its
// close-on-exec flag, sharing the restorer's open file descriptions.
void restore_fds(pid_t pid, Injector& inj, RestoreContext& ctx, const FdTable& table);

// One object of a files section, whose OBJREF header `h` r.next() just
// returned (cr/net reads the descriptions in flight before its table).
void read_object(image::RecordReader& r, RestoreContext& ctx, const image::RecordHeader& h);
// The restorer's fd of description `objref`, read before (cr/net sends it again).
int description_fd(RestoreContext& ctx, uint64_t objref);
// Gives the task's fds O_ASYNC, their owners and signals (F_SETOWN_EX, F_SETSIG) by
// syscalls the task makes itself: the kernel records the setter's
// credentials for the permission check of each SIGIO. Runs once every task
// of the container exists (an owner may be any of them), after restore_fds.
void restore_fd_owners(pid_t pid, Injector& inj, const FdTable& table);

}  // namespace myrt::cr::files
