#include "cr/objhash/leak_kinds.hpp"

#include "util/error.hpp"

namespace myrt::cr::objhash {

KindRegistry& KindRegistry::global() {
    // Built on first use, not by static constructors: a static library drops
    // object files nobody references, and self-registering kinds would vanish.
    static KindRegistry* registry = [] {
        static KindRegistry r;
        register_builtin_kinds(r);
        return &r;
    }();
    return *registry;
}

void KindRegistry::add(std::unique_ptr<KindOps> ops) {
    if (find(ops->id())) fail("object kind {} ({}) is registered twice", ops->id(), ops->name());
    kinds_.push_back(std::move(ops));
}

const KindOps* KindRegistry::find(uint32_t id) const {
    for (const auto& k : kinds_)
        if (k->id() == id) return k.get();
    return nullptr;
}

bool KindRegistry::fd_claimed_by_other(const FdEntry& fd, uint32_t asking_kind) const {
    for (const auto& k : kinds_)
        if (k->id() != asking_kind && k->claims_fd(fd)) return true;
    return false;
}

void register_builtin_kinds(KindRegistry& registry) {
    registry.add(make_pipe_kind());
    registry.add(make_mm_kind());
    registry.add(make_mapping_kind());
    registry.add(make_ns_kind());
    registry.add(make_file_kind(registry));  // last: it takes the fds no other kind claims
}

}  // namespace myrt::cr::objhash
