// Open file descriptions. Two fds are the same object only when they share
// one description (dup, fork, SCM_RIGHTS): the same dev/ino opened twice is
// two objects, told apart with kcmp(KCMP_FILE). An outside process holding
// the same description shares its offset and flags with the container.
#include "cr/objhash/leak_kinds.hpp"

#include <linux/kcmp.h>

namespace myrt::cr::objhash {

namespace {

class FileKind : public KindOps {
public:
    explicit FileKind(const KindRegistry& registry) : registry_(registry) {}
    uint32_t id() const override { return kind::file; }
    std::string_view name() const override { return "file"; }

    void collect(ProcessView& task, ObjHash& hash) override {
        for (const FdEntry& fd : task.fds()) {
            if (registry_.fd_claimed_by_other(fd, id())) continue;
            Holder holder{task.pid(), fd.fd, fmt::format("fd {}", fd.fd)};
            auto candidates = hash.instances(id(), fd.dev, fd.ino);
            const Object* same = nullptr;
            for (Object* c : candidates) {
                if (same_description(task.pid(), fd.fd, c->first_holder)) {
                    same = c;
                    break;
                }
            }
            ObjectKey key{id(), fd.dev, fd.ino, same ? same->key.instance : candidates.size()};
            hash.collect(key, fd.link, holder);
        }
    }

    void find_outside(ProcessView& outside, ObjHash& hash, const OutsideReport& report) override {
        for (const FdEntry& fd : outside.fds()) {
            for (Object* obj : hash.instances(id(), fd.dev, fd.ino))
                if (same_description(outside.pid(), fd.fd, obj->first_holder)) report(*obj, fmt::format("fd {}", fd.fd));
        }
    }

private:
    static bool same_description(pid_t pid, int fd, const Holder& holder) {
        int rc = kcmp_compare(pid, holder.pid, KCMP_FILE, static_cast<unsigned long>(fd), static_cast<unsigned long>(holder.fd));
        if (rc == 0) return true;
        if (rc > 0 || errno == ESRCH || errno == EBADF) return false;  // different, or gone/closed meanwhile
        throw SystemError(errno, fmt::format("kcmp of fd {} of pid {} with fd {} of pid {}", fd, pid, holder.fd, holder.pid));
    }

    const KindRegistry& registry_;
};

}  // namespace

std::unique_ptr<KindOps> make_file_kind(const KindRegistry& registry) { return std::make_unique<FileKind>(registry); }

}  // namespace myrt::cr::objhash
