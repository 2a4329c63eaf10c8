#pragma once
// Kinds of fd beyond plain files and pipes (eventfd, epoll, timerfd, ptys,
// unix sockets...), as a table of operations in the style of CRIU's
// file_desc_ops: the files layer finds the fds, keeps one description per
// objref and installs them in the tasks; each kind, in its own file, only
// says how to save and recreate its own state.
//
// In the image, a description of such a kind is
//   OBJREF (kind file)   FILE {kind = ops.file_kind(), flags, mode}   then the kind's own records
// so a reader that does not know the kind stops at FILE with a clear error.
//
// Kinds are registered by the drivers (cr/driver/fd_kinds_all.cpp lists
// them), because they live in libraries (cr/tty, cr/net) built on this one.
#include "cr/files/fd_scan.hpp"
#include "cr/image/record_reader.hpp"
#include "cr/image/record_writer.hpp"
#include "cr/ptrace/inject.hpp"
#include "util/fd.hpp"

#include <sys/types.h>

#include <memory>
#include <string_view>
#include <vector>

namespace myrt::cr::files {

struct DumpContext;
struct RestoreContext;
struct FdEntry;

class FdKindOps {
public:
    virtual ~FdKindOps() = default;
    virtual std::string_view name() const = 0;
    // image::file_kind_* written in the FILE record; unique among kinds.
    virtual uint32_t file_kind() const = 0;
    // Checkpoint: true when this kind owns `fd` (fd_scan found no built-in kind for it).
    virtual bool claims(const OpenFd& fd) const = 0;
    // Checkpoint, before anything is written: throws naming the fd and pid
    // when this particular fd cannot be restored (an option not supported).
    virtual void check(pid_t /*pid*/, const OpenFd& /*fd*/, DumpContext& /*ctx*/) const {}
    // Checkpoint: the description's own records, after OBJREF and FILE. Runs
    // once per description (the first fd met that refers to it).
    virtual void dump(pid_t pid, const OpenFd& fd, uint64_t objref, DumpContext& ctx, image::RecordWriter& w) const = 0;
    // Restore: reads what dump wrote (every field checked) and returns the
    // restorer's fd for the description, with `rec.flags` applied.
    virtual UniqueFd restore(image::RecordReader& r, RestoreContext& ctx, uint64_t objref,
                             const image::FileRecord& rec) const = 0;
    // Restore: called for each fd of this kind once every fd of the task is
    // at its number (epoll registrations need the task's own fd numbers).
    virtual void after_install(pid_t /*pid*/, Injector& /*inj*/, RestoreContext& /*ctx*/, const FdEntry& /*fd*/) const {}
};

class FdKindRegistry {
public:
    static FdKindRegistry& global();
    void add(std::unique_ptr<FdKindOps> ops);  // throws on a duplicate file kind
    const FdKindOps* claim(const OpenFd& fd) const;
    const FdKindOps* find(uint32_t file_kind) const;
    const std::vector<std::unique_ptr<FdKindOps>>& kinds() const { return kinds_; }

private:
    std::vector<std::unique_ptr<FdKindOps>> kinds_;
};

}  // namespace myrt::cr::files
