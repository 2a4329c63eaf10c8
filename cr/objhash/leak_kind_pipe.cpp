// Pipes, keyed by the pipe inode: both ends are one object, because an outside
// process holding either end can feed or drain the container's data.
#include "cr/objhash/leak_kinds.hpp"

#include <sys/stat.h>

namespace myrt::cr::objhash {

namespace {

class PipeKind : public KindOps {
public:
    uint32_t id() const override { return kind::pipe; }
    std::string_view name() const override { return "pipe"; }
    bool claims_fd(const FdEntry& fd) const override { return S_ISFIFO(fd.mode) && fd.link.starts_with("pipe:["); }

    void collect(ProcessView& task, ObjHash& hash) override {
        for (const FdEntry& fd : task.fds())
            if (claims_fd(fd)) hash.collect(ObjectKey{id(), fd.dev, fd.ino, 0}, fd.link, Holder{task.pid(), fd.fd, fmt::format("fd {}", fd.fd)});
    }

    void find_outside(ProcessView& outside, ObjHash& hash, const OutsideReport& report) override {
        for (const FdEntry& fd : outside.fds()) {
            if (!claims_fd(fd)) continue;
            if (Object* obj = hash.find(ObjectKey{id(), fd.dev, fd.ino, 0})) report(*obj, fmt::format("fd {}", fd.fd));
        }
    }
};

}  // namespace

std::unique_ptr<KindOps> make_pipe_kind() { return std::make_unique<PipeKind>(); }

}  // namespace myrt::cr::objhash
