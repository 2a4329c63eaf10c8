#pragma once
// The object hash (seed 003): every shared kernel object a checkpoint meets is
// stored once, under its kernel identity, and gets an objref 1, 2, 3... in
// first-seen order; later references carry only the objref. It carries the
// per-object bookkeeping leak detection needs (references found inside the
// container, dumped and visited flags), and on restore it maps each objref
// to the live resource the restorer created for it.
#include "cr/objhash/deferred_queue.hpp"
#include "util/error.hpp"

#include <sys/types.h>

#include <compare>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <typeinfo>
#include <vector>

namespace myrt::cr::objhash {

// Kind ids: stable numbers, written into OBJREF records. Later subsystems
// append theirs (sockets, ptys, IPC objects) and register a KindOps for each.
namespace kind {
inline constexpr uint32_t file = 1;     // an open file description
inline constexpr uint32_t pipe = 2;     // a pipe inode (both ends)
inline constexpr uint32_t mm = 3;       // an address space (tasks sharing it via CLONE_VM)
inline constexpr uint32_t ns = 4;       // a namespace
inline constexpr uint32_t mapping = 5;  // a file mapped MAP_SHARED
// --- cr/tty (begin) ---
inline constexpr uint32_t pty = 30;     // a pseudo terminal pair (devpts instance, index): both ends
// --- cr/tty (end) ---
}  // namespace kind

struct ObjectKey {
    uint32_t kind = 0;
    uint64_t dev = 0;
    uint64_t ino = 0;
    // Tells apart distinct objects with the same dev/ino, e.g. two open file
    // descriptions of one file (told apart with kcmp KCMP_FILE).
    uint64_t instance = 0;
    auto operator<=>(const ObjectKey&) const = default;
};

// Where a reference was found: "fd 3" of pid 42, "the uts namespace" of pid 42.
struct Holder {
    pid_t pid = 0;
    int fd = -1;       // for fd-held objects, so kcmp can compare descriptions
    std::string how;
};

struct Object {
    ObjectKey key;
    uint64_t objref = 0;
    std::string name;          // "pipe:[12345]", "/var/log/app.log", "uts:[4026531838]"
    uint32_t inside_refs = 0;  // references found inside the container by the collect pass
    bool collected = false;
    bool dumped = false;       // its state is in the image (seed 003's CHECKPOINTED)
    bool visited = false;      // the dump met it (dumped, or accounted for by its owner)
    Holder first_holder;
};

std::string_view kind_name(uint32_t kind);

class ObjHash {
public:
    struct Lookup {
        Object& object;
        bool first;  // true when this call created it
    };

    // Collect pass: finds or inserts the object and counts one more inside reference.
    Lookup collect(const ObjectKey& key, std::string_view name, const Holder& holder);

    // Dump pass. After begin_dump(true), an object of a refcounted kind that the
    // collect pass never saw is a reverse leak (created after collect) and throws.
    void begin_dump(bool reverse_leak_checks);
    Lookup lookup_or_add(const ObjectKey& key, std::string_view name);

    // An objref that names no object yet (seed 001: the ptmx a pty slave refers to).
    uint64_t reserve();

    Object* find(const ObjectKey& key);
    Object* find(uint64_t objref);
    const Object* find(uint64_t objref) const;
    Object& get(uint64_t objref);
    // Every object of `kind` with this dev/ino (all instances).
    std::vector<Object*> instances(uint32_t kind, uint64_t dev, uint64_t ino);

    void mark_dumped(uint64_t objref);
    void mark_visited(uint64_t objref);
    // Throws naming the collected objects the dump never visited (seed 003/000:
    // destroyed or detached while the checkpoint ran).
    void check_unvisited() const;

    // Objects in objref order (reserved objrefs are skipped).
    std::vector<const Object*> objects() const;
    std::vector<Object*> objects();
    // Whether any object of kind `k` is stored (a kind with none has nothing to look for outside).
    bool has_kind(uint32_t k) const;
    uint64_t size() const { return by_key_.size(); }
    uint64_t next_objref() const { return slots_.size() + 1; }

    // Restore side: objref -> the live resource created for it.
    template <class T>
    void install(uint64_t objref, uint32_t kind, T resource) {
        check_installable(objref);
        resources_[objref] = Resource{kind, std::make_unique<Held<T>>(std::move(resource))};
    }
    template <class T>
    T& fetch(uint64_t objref, uint32_t kind) {
        Resource& r = resource_for(objref, kind);
        auto* held = dynamic_cast<Held<T>*>(r.value.get());
        if (!held) fail("objref {} ({}) does not hold a {}", objref, kind_name(kind), typeid(T).name());
        return held->value;
    }
    bool installed(uint64_t objref) const { return resources_.count(objref) != 0; }

    DeferredQueue& deferred() { return deferred_; }

private:
    struct HeldBase {
        virtual ~HeldBase() = default;
    };
    template <class T>
    struct Held : HeldBase {
        explicit Held(T v) : value(std::move(v)) {}
        T value;
    };
    struct Resource {
        uint32_t kind = 0;
        std::unique_ptr<HeldBase> value;
    };

    Object& insert(const ObjectKey& key, std::string_view name);
    void check_installable(uint64_t objref) const;
    Resource& resource_for(uint64_t objref, uint32_t kind);

    std::vector<std::unique_ptr<Object>> slots_;  // index objref-1; null for reserved objrefs
    std::map<ObjectKey, Object*> by_key_;
    std::map<uint64_t, Resource> resources_;
    DeferredQueue deferred_;
    bool dumping_ = false;
    bool reverse_leak_checks_ = false;
};

}  // namespace myrt::cr::objhash
