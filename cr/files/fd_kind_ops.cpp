#include "cr/files/fd_kind_ops.hpp"

#include "util/error.hpp"

namespace myrt::cr::files {

FdKindRegistry& FdKindRegistry::global() {
    static FdKindRegistry registry;
    return registry;
}

void FdKindRegistry::add(std::unique_ptr<FdKindOps> ops) {
    if (find(ops->file_kind())) fail("fd kind {} registered twice (file kind {})", ops->name(), ops->file_kind());
    kinds_.push_back(std::move(ops));
}

const FdKindOps* FdKindRegistry::claim(const OpenFd& fd) const {
    for (const auto& k : kinds_)
        if (k->claims(fd)) return k.get();
    return nullptr;
}

const FdKindOps* FdKindRegistry::find(uint32_t file_kind) const {
    for (const auto& k : kinds_)
        if (k->file_kind() == file_kind) return k.get();
    return nullptr;
}

}  // namespace myrt::cr::files
