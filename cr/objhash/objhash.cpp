#include "cr/objhash/objhash.hpp"

#include "cr/objhash/leak_kinds.hpp"

namespace myrt::cr::objhash {

std::string_view kind_name(uint32_t k) {
    if (const KindOps* ops = KindRegistry::global().find(k)) return ops->name();
    return "unknown kind";
}

Object& ObjHash::insert(const ObjectKey& key, std::string_view name) {
    auto obj = std::make_unique<Object>();
    obj->key = key;
    obj->objref = slots_.size() + 1;
    obj->name = std::string(name);
    Object& ref = *obj;
    slots_.push_back(std::move(obj));
    by_key_.emplace(key, &ref);
    return ref;
}

ObjHash::Lookup ObjHash::collect(const ObjectKey& key, std::string_view name, const Holder& holder) {
    if (dumping_) fail("collect of {} after the dump began", name);
    bool first = false;
    Object* obj = find(key);
    if (!obj) {
        obj = &insert(key, name);
        obj->first_holder = holder;
        first = true;
    }
    obj->collected = true;
    obj->inside_refs++;
    return Lookup{*obj, first};
}

void ObjHash::begin_dump(bool reverse_leak_checks) {
    dumping_ = true;
    reverse_leak_checks_ = reverse_leak_checks;
}

ObjHash::Lookup ObjHash::lookup_or_add(const ObjectKey& key, std::string_view name) {
    if (Object* obj = find(key)) return Lookup{*obj, false};
    if (reverse_leak_checks_) {
        const KindOps* ops = KindRegistry::global().find(key.kind);
        if (!ops || ops->refcounted())
            fail("leak: {} {} was first seen during the dump, after the collect pass (created while the checkpoint ran?)",
                 kind_name(key.kind), name);
    }
    return Lookup{insert(key, name), true};
}

uint64_t ObjHash::reserve() {
    slots_.push_back(nullptr);
    return slots_.size();
}

Object* ObjHash::find(const ObjectKey& key) {
    auto it = by_key_.find(key);
    return it == by_key_.end() ? nullptr : it->second;
}

Object* ObjHash::find(uint64_t objref) {
    if (objref == 0 || objref > slots_.size()) return nullptr;
    return slots_[objref - 1].get();
}

const Object* ObjHash::find(uint64_t objref) const {
    if (objref == 0 || objref > slots_.size()) return nullptr;
    return slots_[objref - 1].get();
}

Object& ObjHash::get(uint64_t objref) {
    Object* obj = find(objref);
    if (!obj) fail("objref {} names no object (the hash holds objrefs 1..{})", objref, slots_.size());
    return *obj;
}

bool ObjHash::has_kind(uint32_t k) const {
    auto it = by_key_.lower_bound(ObjectKey{k, 0, 0, 0});
    return it != by_key_.end() && it->first.kind == k;
}

std::vector<Object*> ObjHash::instances(uint32_t k, uint64_t dev, uint64_t ino) {
    std::vector<Object*> out;
    for (auto it = by_key_.lower_bound(ObjectKey{k, dev, ino, 0});
         it != by_key_.end() && it->first.kind == k && it->first.dev == dev && it->first.ino == ino; ++it)
        out.push_back(it->second);
    return out;
}

void ObjHash::mark_dumped(uint64_t objref) {
    Object& obj = get(objref);
    obj.dumped = true;
    obj.visited = true;
}

void ObjHash::mark_visited(uint64_t objref) { get(objref).visited = true; }

void ObjHash::check_unvisited() const {
    std::vector<std::string> missing;
    size_t total = 0;
    for (const Object* obj : objects()) {
        if (!obj->collected || obj->visited) continue;
        if (++total <= 5) missing.push_back(fmt::format("{} {} (objref {})", kind_name(obj->key.kind), obj->name, obj->objref));
    }
    if (total == 0) return;
    std::string list;
    for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
    if (total > missing.size()) list += fmt::format(" and {} more", total - missing.size());
    fail("leak: {} collected object{} never visited by the dump (detached or destroyed while the checkpoint ran): {}", total,
         total == 1 ? " was" : "s were", list);
}

std::vector<const Object*> ObjHash::objects() const {
    std::vector<const Object*> out;
    for (const auto& s : slots_)
        if (s) out.push_back(s.get());
    return out;
}

std::vector<Object*> ObjHash::objects() {
    std::vector<Object*> out;
    for (auto& s : slots_)
        if (s) out.push_back(s.get());
    return out;
}

void ObjHash::check_installable(uint64_t objref) const {
    if (objref == 0) fail("the image introduces an object with objref 0");
    if (resources_.count(objref)) fail("the image introduces objref {} twice", objref);
}

ObjHash::Resource& ObjHash::resource_for(uint64_t objref, uint32_t k) {
    auto it = resources_.find(objref);
    if (it == resources_.end()) fail("the image refers to objref {} ({}), which no earlier record introduced", objref, kind_name(k));
    if (it->second.kind != k)
        fail("the image uses objref {} as a {}, but it was introduced as a {}", objref, kind_name(k), kind_name(it->second.kind));
    return it->second;
}

}  // namespace myrt::cr::objhash
