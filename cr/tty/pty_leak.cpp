// Leak detection for ptys: the pair (devpts instance, index) is one object,
// so a process outside the container holding either end is found.
#include "cr/tty/devpts.hpp"
#include "cr/tty/pty.hpp"

#include "cr/objhash/objhash.hpp"

#include <sys/stat.h>
#include <sys/sysmacros.h>

namespace myrt::cr::tty {

namespace {

std::optional<PtyId> pty_of(pid_t pid, const objhash::FdEntry& fd) {
    if (!S_ISCHR(fd.mode)) return std::nullopt;
    struct stat st {};
    if (::stat(fmt::format("/proc/{}/fd/{}", pid, fd.fd).c_str(), &st) != 0) return std::nullopt;
    return identify(pid, fd.fd, st, fd.link);
}

objhash::ObjectKey key_of(const PtyId& id) { return {objhash::kind::pty, id.devpts_dev, id.index, 0}; }

class PtyLeakKind : public objhash::KindOps {
public:
    uint32_t id() const override { return objhash::kind::pty; }
    std::string_view name() const override { return "pty"; }
    void collect(objhash::ProcessView& task, objhash::ObjHash& hash) override {
        for (const auto& fd : task.fds()) {
            auto id = pty_of(task.pid(), fd);
            if (!id) continue;
            hash.collect(key_of(*id),
                         fmt::format("pty {} of devpts {}:{}", id->index, major(id->devpts_dev), minor(id->devpts_dev)),
                         objhash::Holder{task.pid(), fd.fd, fmt::format("fd {} ({})", fd.fd, id->master ? "master" : "slave")});
        }
    }
    void find_outside(objhash::ProcessView& outside, objhash::ObjHash& hash, const objhash::OutsideReport& report) override {
        for (const auto& fd : outside.fds()) {
            std::optional<PtyId> id;
            try {
                id = pty_of(outside.pid(), fd);
            } catch (const std::exception&) {
                continue;  // gone meanwhile, or a ptmx with no devpts beside it: not one of ours
            }
            if (!id) continue;
            if (objhash::Object* obj = hash.find(key_of(*id)))
                report(*obj, fmt::format("fd {} (the pty's {})", fd.fd, id->master ? "master" : "slave"));
        }
    }
};

}  // namespace

std::unique_ptr<objhash::KindOps> make_pty_leak_kind() { return std::make_unique<PtyLeakKind>(); }

}  // namespace myrt::cr::tty
