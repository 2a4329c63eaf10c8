#include "cr/objhash/leak_detector.hpp"

#include "util/error.hpp"
#include "util/log.hpp"

#include <unistd.h>

#include <algorithm>
#include <exception>
#include <mutex>
#include <thread>

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

void LeakDetector::collect_in_flight(pid_t holder, const std::vector<int>& fds) {
    if (fds.empty()) return;
    ProcessView view(holder, fds);
    for (const auto& k : registry_.kinds()) k->collect(view, hash_);
}

std::vector<LeakReport> LeakDetector::find_leaks(const LeakOptions& options) {
    auto external = [&](const Object& obj) {
        return options.external_names.count(obj.name) || options.external_keys.count(obj.key) ||
               (options.is_external && options.is_external(obj));
    };
    std::vector<pid_t> outside_pids;
    for (pid_t pid : list_processes())
        if (!container_tgids_.count(pid) && !options.ignore_pids.count(pid)) outside_pids.push_back(pid);
    uninspectable_.clear();

    // The scan reads /proc of every host process while the container is
    // frozen: it is split over the CPUs. The hash is only read here.
    std::mutex mu;
    std::exception_ptr first_error;
    std::vector<LeakReport> leaks;
    auto scan = [&](size_t first, size_t step) {
        std::vector<LeakReport> found;
        try {
            for (size_t i = first; i < outside_pids.size(); i += step) {
                pid_t pid = outside_pids[i];
                if (is_kernel_thread(pid)) continue;
                ProcessView outside(pid);
                std::set<uint64_t> seen;  // one report per object and outside process
                try {
                    for (const auto& k : registry_.kinds()) {
                        if (!k->refcounted()) continue;
                        k->find_outside(outside, hash_, [&](const Object& obj, const std::string& how) {
                            if (external(obj) || !seen.insert(obj.objref).second) return;
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
                    std::lock_guard lock(mu);
                    uninspectable_.emplace_back(pid, e.what());
                }
            }
        } catch (...) {
            std::lock_guard lock(mu);
            if (!first_error) first_error = std::current_exception();
        }
        std::lock_guard lock(mu);
        leaks.insert(leaks.end(), found.begin(), found.end());
    };
    size_t workers = std::clamp<size_t>(std::thread::hardware_concurrency(), 1, 4);
    std::vector<std::jthread> threads;
    for (size_t w = 1; w < workers; ++w) threads.emplace_back(scan, w, workers);
    scan(0, workers);
    threads.clear();  // joins
    if (first_error) std::rethrow_exception(first_error);
    auto by_pid = [](const auto& a, const auto& b) { return a.outside_pid < b.outside_pid; };
    std::stable_sort(leaks.begin(), leaks.end(), by_pid);
    std::sort(uninspectable_.begin(), uninspectable_.end());
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
