#include "cr/objhash/leak_detector.hpp"

#include "util/error.hpp"
#include "util/log.hpp"

#include <unistd.h>

namespace myrt::cr::objhash {

void LeakOptions::declare_namespaces_of(pid_t pid) {
    ProcessView view(pid);
    if (view.namespaces().empty()) fail("cannot read the namespaces of pid {} to declare them external", pid);
    for (const NsEntry& ns : view.namespaces()) external_keys.insert(ObjectKey{kind::ns, ns.dev, ns.ino, 0});
}

LeakDetector::LeakDetector(ObjHash& hash, const KindRegistry& registry) : hash_(hash), registry_(registry) {}

void LeakDetector::collect(const std::vector<pid_t>& pids) {
    if (pids.empty()) fail("leak detection needs at least one container task");
    for (pid_t pid : pids) {
        pid_t tgid = thread_group_of(pid);
        if (tgid == 0) fail("container task {} does not exist (it exited before the collect pass)", pid);
        container_tgids_.insert(tgid);
    }
    for (pid_t pid : pids) {
        ProcessView task(pid);
        for (const auto& k : registry_.kinds()) k->collect(task, hash_);
    }
}

std::vector<LeakReport> LeakDetector::find_leaks(const LeakOptions& options) {
    auto external = [&](const Object& obj) {
        return options.external_names.count(obj.name) || options.external_keys.count(obj.key) ||
               (options.is_external && options.is_external(obj));
    };
    std::vector<LeakReport> leaks;
    std::set<std::pair<uint64_t, pid_t>> seen;  // one report per object and outside process
    uninspectable_.clear();
    for (pid_t pid : list_processes()) {
        if (container_tgids_.count(pid) || options.ignore_pids.count(pid)) continue;
        ProcessView outside(pid);
        std::vector<LeakReport> found;
        try {
            for (const auto& k : registry_.kinds()) {
                if (!k->refcounted()) continue;
                k->find_outside(outside, hash_, [&](const Object& obj, const std::string& how) {
                    if (external(obj) || !seen.insert({obj.objref, pid}).second) return;
                    found.push_back(LeakReport{&obj, pid, outside.comm(), how});
                });
            }
        } catch (const SystemError& e) {
            if (e.code() != EACCES && e.code() != EPERM) throw;
            // Non-dumpable processes (and those in another LSM domain) hide
            // their fds even from root: nothing can be proven about them.
            if (options.fail_on_uninspectable)
                fail("cannot check pid {} ({}) for references to the container's objects: {}", pid, outside.comm(), e.what());
            log::warn("leak check skips pid {} ({}): {}", pid, outside.comm(), e.what());
            uninspectable_.emplace_back(pid, e.what());
        }
        leaks.insert(leaks.end(), found.begin(), found.end());
    }
    return leaks;
}

std::string format_leak(const LeakReport& leak) {
    const Object& obj = *leak.object;
    return fmt::format("leak: {} ({} of pid {} in the container) is also held by pid {} ({}) outside the container, as {}",
                       obj.name, obj.first_holder.how, obj.first_holder.pid, leak.outside_pid, leak.outside_comm, leak.outside_how);
}

void LeakDetector::check_leaks(const LeakOptions& options) {
    if (options.subtree) {
        hash_.begin_dump(false);
        return;
    }
    auto leaks = find_leaks(options);
    if (!leaks.empty()) {
        constexpr size_t shown = 8;
        std::string msg;
        for (size_t i = 0; i < leaks.size() && i < shown; ++i) msg += (i ? "; " : "") + format_leak(leaks[i]);
        if (leaks.size() > shown) msg += fmt::format("; and {} more", leaks.size() - shown);
        for (const auto& l : leaks) log::debug("{}", format_leak(l));
        throw Error(msg);
    }
    hash_.begin_dump(true);
}

}  // namespace myrt::cr::objhash
