// Namespaces, keyed by their nsfs inode. An outside process is a member when
// one of its /proc/PID/ns links names the same inode, and it pins the
// namespace when it holds an fd to it (an open /proc/X/ns/Y, setns handle).
#include "cr/objhash/leak_kinds.hpp"

namespace myrt::cr::objhash {

namespace {

std::string_view base_type(std::string_view t) {
    // pid_for_children and time_for_children name the same kinds of namespace.
    if (auto pos = t.find("_for_children"); pos != std::string_view::npos) return t.substr(0, pos);
    return t;
}

class NsKind : public KindOps {
public:
    uint32_t id() const override { return kind::ns; }
    std::string_view name() const override { return "namespace"; }

    void collect(ProcessView& task, ObjHash& hash) override {
        for (const NsEntry& ns : task.namespaces())
            hash.collect(ObjectKey{id(), ns.dev, ns.ino, 0}, ns.link,
                         Holder{task.pid(), -1, fmt::format("its {} namespace", base_type(ns.type))});
    }

    void find_outside(ProcessView& outside, ObjHash& hash, const OutsideReport& report) override {
        for (const NsEntry& ns : outside.namespaces())
            if (Object* obj = hash.find(ObjectKey{id(), ns.dev, ns.ino, 0}))
                report(*obj, fmt::format("its {} namespace", base_type(ns.type)));
        for (const FdEntry& fd : outside.fds())
            if (Object* obj = hash.find(ObjectKey{id(), fd.dev, fd.ino, 0})) report(*obj, fmt::format("fd {}", fd.fd));
    }
};

}  // namespace

std::unique_ptr<KindOps> make_ns_kind() { return std::make_unique<NsKind>(); }

}  // namespace myrt::cr::objhash
