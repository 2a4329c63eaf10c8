#pragma once
// Object kinds as a table of operations (CRIU's file_desc_ops, seed 003's
// ckpt_obj_ops): each kind knows how to find its objects in a container task
// and how to recognise them in an outside process. The leak detector and the
// drivers iterate the registry and never need to know the kinds. A later
// subsystem adds a kind by implementing KindOps and calling
// KindRegistry::global().add() (or listing it in register_builtin_kinds).
#include "cr/objhash/leak_process.hpp"
#include "cr/objhash/objhash.hpp"

#include <functional>
#include <memory>
#include <string_view>
#include <vector>

namespace myrt::cr::objhash {

// Reports that an outside process holds `object`; `how` says where ("fd 4", "its uts namespace").
using OutsideReport = std::function<void(const Object& object, const std::string& how)>;

class KindOps {
public:
    virtual ~KindOps() = default;
    virtual uint32_t id() const = 0;
    virtual std::string_view name() const = 0;
    // False for kinds whose sharing cannot leak state: exempt from leak and
    // reverse-leak checks (seed 003: types without ref_users).
    virtual bool refcounted() const { return true; }
    // True when this kind owns the fd: the generic file kind skips fds another kind claims.
    virtual bool claims_fd(const FdEntry&) const { return false; }
    // Collect pass: add every object of this kind that container task `task` references.
    virtual void collect(ProcessView& task, ObjHash& hash) = 0;
    // Leak pass: report each object of this kind in `hash` that `outside` also holds.
    virtual void find_outside(ProcessView& outside, ObjHash& hash, const OutsideReport& report) = 0;
};

class KindRegistry {
public:
    // The process-wide registry, holding the built-in kinds.
    static KindRegistry& global();

    void add(std::unique_ptr<KindOps> ops);  // throws on a duplicate id
    const KindOps* find(uint32_t id) const;
    const std::vector<std::unique_ptr<KindOps>>& kinds() const { return kinds_; }
    bool fd_claimed_by_other(const FdEntry& fd, uint32_t asking_kind) const;

private:
    std::vector<std::unique_ptr<KindOps>> kinds_;
};

// The kinds that exist now: file, pipe, mm, mapping, namespace.
void register_builtin_kinds(KindRegistry& registry);
std::unique_ptr<KindOps> make_file_kind(const KindRegistry& registry);
std::unique_ptr<KindOps> make_pipe_kind();
std::unique_ptr<KindOps> make_mm_kind();
std::unique_ptr<KindOps> make_mapping_kind();
std::unique_ptr<KindOps> make_ns_kind();

}  // namespace myrt::cr::objhash
