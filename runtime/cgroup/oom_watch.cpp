#include "runtime/cgroup/oom_watch.hpp"

#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "runtime/cgroup/cgroup.hpp"
#include "runtime/cgroup/cgroupfs.hpp"
#include "util/error.hpp"

namespace myrt::cgroup {

namespace {
// The kernel's count of OOM kills in the cgroup: memory.events (v2) or
// memory.oom_control (v1) "oom_kill"; 0 once the cgroup is gone.
uint64_t oom_kills(const std::string& dir, const char* file) {
    try {
        auto counters = fs::read_keyed(dir, file);
        return counters.count("oom_kill") ? counters["oom_kill"] : 0;
    } catch (const std::exception&) {
        return 0;  // removed with the container
    }
}
}  // namespace

OomWatch::OomWatch(const Cgroup& cg) {
    if (!cg.has_controller("memory")) fail("events: cgroup {} has no memory controller to watch for OOM", cg.cgroups_path());
    dir_ = cg.path_in("memory");
    const std::string& dir = dir_;
    if (dir == cg.unified_dir()) {
        counter_file_ = "memory.events";
        fd_.reset(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
        if (!fd_) throw_errno("events: inotify_init1");
        std::string file = dir + "/memory.events";
        if (::inotify_add_watch(fd_.get(), file.c_str(), IN_MODIFY) < 0) throw_errno("events: watch {}", file);
        seen_ = oom_kills(dir_, counter_file_);
        return;
    }
    fd_.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!fd_) throw_errno("events: eventfd");
    std::string control = dir + "/memory.oom_control";
    control_.reset(::open(control.c_str(), O_RDONLY | O_CLOEXEC));
    if (!control_) throw_errno("events: open {}", control);
    fs::write(dir, "cgroup.event_control", std::to_string(fd_.get()) + " " + std::to_string(control_.get()));
    seen_ = oom_kills(dir_, counter_file_);
}

// The eventfd also fires when the cgroup is removed, and inotify on any
// change of memory.events: the counter says whether a kill happened.
uint64_t OomWatch::take() {
    char buf[4096];
    while (::read(fd_.get(), buf, sizeof buf) > 0) {
    }
    uint64_t now = oom_kills(dir_, counter_file_);
    uint64_t fresh = now > seen_ ? now - seen_ : 0;
    if (now > seen_) seen_ = now;
    return fresh;
}

}  // namespace myrt::cgroup
