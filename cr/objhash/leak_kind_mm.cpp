// Address spaces and shared file mappings.
// mm: tasks sharing one address space (CLONE_VM without CLONE_THREAD, vfork)
// are told apart from copies with kcmp(KCMP_VM); an outside task in the same
// mm would see every page the restore rewrites.
// mapping: a MAP_SHARED mapping whose contents the checkpoint must save
// (anonymous shared memory, memfd, SysV shm, deleted files, or one the
// container can write): an outside process that maps the same inode or holds
// it open sees the container's writes. Private mappings are copy-on-write,
// and a read-only shared mapping of a file on disk (glibc maps
// gconv-modules.cache that way) holds nothing that is not in the file.
#include "cr/objhash/leak_kinds.hpp"

#include <linux/kcmp.h>

#include <cstdio>
#include <cstring>

namespace myrt::cr::objhash {

namespace {

// A zombie has no address space left: kcmp would find every two of them "the same".
bool is_zombie(pid_t pid) {
    char path[64], buf[512];
    std::snprintf(path, sizeof path, "/proc/%d/stat", static_cast<int>(pid));
    FILE* f = std::fopen(path, "re");
    if (!f) return false;
    size_t n = std::fread(buf, 1, sizeof buf - 1, f);
    std::fclose(f);
    buf[n] = 0;
    const char* close = std::strrchr(buf, ')');
    return close && close[1] && (close[2] == 'Z' || close[2] == 'X');
}

class MmKind : public KindOps {
public:
    uint32_t id() const override { return kind::mm; }
    std::string_view name() const override { return "mm"; }

    void collect(ProcessView& task, ObjHash& hash) override {
        if (is_zombie(task.pid())) return;
        auto existing = hash.instances(id(), 0, 0);
        uint64_t instance = existing.size();
        for (Object* obj : existing)
            if (same_mm(task.pid(), obj->first_holder.pid)) {
                instance = obj->key.instance;
                break;
            }
        hash.collect(ObjectKey{id(), 0, 0, instance}, fmt::format("address space of pid {}", task.pid()),
                     Holder{task.pid(), -1, "its address space"});
    }

    void find_outside(ProcessView& outside, ObjHash& hash, const OutsideReport& report) override {
        if (is_zombie(outside.pid())) return;
        for (Object* obj : hash.instances(id(), 0, 0))
            if (same_mm(outside.pid(), obj->first_holder.pid)) report(*obj, "its address space");
    }

private:
    static bool same_mm(pid_t a, pid_t b) {
        if (a == b) return true;
        int rc = kcmp_compare(a, b, KCMP_VM, 0, 0);
        if (rc == 0) return true;
        if (rc > 0 || errno == ESRCH) return false;
        throw SystemError(errno, fmt::format("kcmp of the address spaces of pids {} and {}", a, b));
    }
};

bool holds_memory_state(const MapEntry& m) {
    if (!m.shared || m.ino == 0) return false;
    return m.writable || m.path.starts_with("/dev/zero") || m.path.starts_with("/memfd:") || m.path.starts_with("/SYSV") ||
           m.path.ends_with(" (deleted)");
}

class MappingKind : public KindOps {
public:
    uint32_t id() const override { return kind::mapping; }
    std::string_view name() const override { return "shared mapping"; }

    void collect(ProcessView& task, ObjHash& hash) override {
        for (const MapEntry& m : task.maps()) {
            if (!holds_memory_state(m)) continue;
            hash.collect(ObjectKey{id(), m.dev, m.ino, 0}, m.path.empty() ? fmt::format("inode {}", m.ino) : m.path,
                         Holder{task.pid(), -1, fmt::format("mapping {:x}-{:x}", m.start, m.end)});
        }
    }

    void find_outside(ProcessView& outside, ObjHash& hash, const OutsideReport& report) override {
        if (!hash.has_kind(id())) return;  // spares reading every process's maps
        for (const MapEntry& m : outside.maps()) {
            if (m.ino == 0) continue;
            if (Object* obj = hash.find(ObjectKey{id(), m.dev, m.ino, 0}))
                report(*obj, fmt::format("mapping {:x}-{:x}", m.start, m.end));
        }
        for (const FdEntry& fd : outside.fds())
            if (Object* obj = hash.find(ObjectKey{id(), fd.dev, fd.ino, 0})) report(*obj, fmt::format("fd {}", fd.fd));
    }
};

}  // namespace

std::unique_ptr<KindOps> make_mm_kind() { return std::make_unique<MmKind>(); }
std::unique_ptr<KindOps> make_mapping_kind() { return std::make_unique<MappingKind>(); }

}  // namespace myrt::cr::objhash
