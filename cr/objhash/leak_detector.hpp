#pragma once
// Whole-container leak detection (seed 003) from user space. The kernel's
// reference counts are not visible here, so "contained" is checked the other
// way round: collect every object the container's tasks reference, then scan
// every other process on the system for references to the same objects.
//
//   LeakDetector leaks(hash);
//   leaks.collect(pids);            // before any image data is written
//   leaks.check_leaks(options);     // throws myrt::Error naming object and outside holder
//   ... dump: hash.lookup_or_add / mark_dumped / mark_visited ...
//   hash.deferred().run(); hash.check_unvisited();
#include "cr/objhash/leak_kinds.hpp"
#include "cr/objhash/objhash.hpp"

#include <sys/types.h>

#include <functional>
#include <set>
#include <string>
#include <vector>

namespace myrt::cr::objhash {

struct LeakOptions {
    // A process tree rather than a container: no leak or reverse-leak checks (seed 003).
    bool subtree = false;
    // Objects the caller declared external (--external, inherited stdio):
    // sharing them is allowed. Matched by object name or by key.
    std::set<std::string> external_names;
    std::set<ObjectKey> external_keys;
    std::function<bool(const Object&)> is_external;
    // Outside processes whose references do not count (the checkpointing myrt itself).
    std::set<pid_t> ignore_pids;

    // Outside processes this process may not inspect (non-dumpable, another
    // LSM domain) are skipped with a warning; set this to fail instead.
    bool fail_on_uninspectable = false;

    // Declares every namespace of `pid` external: a container that shares the
    // host's network or user namespace shares it on purpose.
    void declare_namespaces_of(pid_t pid);
};

struct LeakReport {
    const Object* object = nullptr;
    pid_t outside_pid = 0;
    std::string outside_comm;
    std::string outside_how;
};

class LeakDetector {
public:
    explicit LeakDetector(ObjHash& hash, const KindRegistry& registry = KindRegistry::global());

    // Collect pass over the container's tasks: every kind adds what each task references.
    void collect(const std::vector<pid_t>& pids);
    // Adds fds `fds` of `holder` (myrt itself: descriptions in flight in a
    // container socket's queue, received by a peek) as the container's objects.
    void collect_in_flight(pid_t holder, const std::vector<int>& fds);

    // Every reference held outside the container to a collected object, not
    // counting external objects and ignored pids. Does not throw on leaks.
    std::vector<LeakReport> find_leaks(const LeakOptions& options);

    // Throws a myrt::Error listing the leaks (or does nothing in subtree mode),
    // then starts the dump phase of the hash with reverse-leak checks on
    // (whole-container mode) or off (subtree mode).
    void check_leaks(const LeakOptions& options);

    const std::set<pid_t>& container_tgids() const { return container_tgids_; }
    // Outside processes the last find_leaks could not inspect, with the reason.
    const std::vector<std::pair<pid_t, std::string>>& uninspectable() const { return uninspectable_; }

private:
    ObjHash& hash_;
    const KindRegistry& registry_;
    std::set<pid_t> container_tgids_;
    std::vector<std::pair<pid_t, std::string>> uninspectable_;
};

std::string format_leak(const LeakReport& leak);

}  // namespace myrt::cr::objhash
