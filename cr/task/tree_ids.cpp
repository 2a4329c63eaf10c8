#include "cr/task/tree_ids.hpp"

#include <set>

#include "util/error.hpp"

namespace myrt::cr {
namespace {

int32_t inner(const ProcessState& s) { return s.core.ids.ns_pid[s.core.ids.ns_depth - 1]; }

}  // namespace

TreeIdPlan plan_tree_ids(const std::vector<ProcessState>& images) {
    TreeIdPlan plan;
    if (images.empty()) return plan;
    std::map<int32_t, size_t> by_dump_pid, live;
    std::set<int32_t> zombies;
    for (size_t i = 0; i < images.size(); ++i) {
        by_dump_pid[images[i].core.ids.pid] = i;
        live[inner(images[i])] = i;
        for (auto& z : images[i].zombies) zombies.insert(z.ns_pid);
    }
    auto parent_of = [&](size_t i) {
        auto p = by_dump_pid.find(images[i].core.ids.ppid);
        if (p == by_dump_pid.end() || p->second >= i)
            fail("process {} of the image has no parent restored before it", inner(images[i]));
        return p->second;
    };
    plan.creator.assign(images.size(), 0);
    for (size_t i = 1; i < images.size(); ++i) {
        const auto& ids = images[i].core.ids;
        size_t parent = parent_of(i);
        plan.creator[i] = parent;
        if (ids.ns_sid == inner(images[i]) || ids.ns_sid == images[parent].core.ids.ns_sid) continue;
        // In another session than its parent: only reparented orphans get
        // there, and only the root takes orphans here.
        if (live.count(ids.ns_sid) || zombies.count(ids.ns_sid))
            fail("not supported yet: process {} is in session {} of another live or unreaped process, while its "
                 "parent {} is in session {}",
                 inner(images[i]), ids.ns_sid, inner(images[parent]), images[parent].core.ids.ns_sid);
        if (parent != 0)
            fail("not supported yet: process {} is in session {} whose leader has exited, and its parent {} (not the "
                 "container's init) is in session {}",
                 inner(images[i]), ids.ns_sid, inner(images[parent]), images[parent].core.ids.ns_sid);
        if (!plan.session_holder.count(ids.ns_sid)) {
            plan.session_holder[ids.ns_sid] = plan.sessions.size();
            plan.sessions.push_back({ids.ns_sid, 0});
        }
        plan.creator[i] = forked_by_session_holder;
    }
    // Groups: a session holder leads the group of its id too.
    std::set<int32_t> planned;
    auto need_group = [&](int32_t pgid) {
        return !live.count(pgid) && !zombies.count(pgid) && !plan.session_holder.count(pgid) && !planned.count(pgid);
    };
    for (size_t i = 1; i < images.size(); ++i) {
        int32_t pgid = images[i].core.ids.ns_pgid;
        if (pgid <= 0 || !need_group(pgid)) continue;
        planned.insert(pgid);
        plan.groups.push_back({pgid, i});
    }
    for (size_t i = 0; i < images.size(); ++i)
        for (auto& z : images[i].zombies) {
            if (z.ns_sid != z.ns_pid && z.ns_sid != images[i].core.ids.ns_sid)
                fail("not supported yet: zombie {} (child of process {}) is in session {}, its parent in session {}",
                     z.ns_pid, inner(images[i]), z.ns_sid, images[i].core.ids.ns_sid);
            if (need_group(z.ns_pgid))
                fail("not supported yet: zombie {} (child of process {}) is in group {} that no live process of the "
                     "container is in and whose leader has exited",
                     z.ns_pid, inner(images[i]), z.ns_pgid);
        }
    return plan;
}

}  // namespace myrt::cr
