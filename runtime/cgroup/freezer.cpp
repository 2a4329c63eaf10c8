// Freezing for pause/resume and for checkpoint.
//
// v1: writing FROZEN starts freezing; the state reads FREEZING until every task has stopped in
// the refrigerator, and may stay FREEZING while tasks keep forking or joining, so the write is
// repeated (with an occasional thaw to break a fork storm) until it reads FROZEN or time is up.
// Caution for checkpoint on this kernel: a task that is already SIGSTOPped inside a FROZEN v1
// freezer cgroup can make PTRACE_SEIZE/INTERRUPT wait forever (CRIU's `stopped` test hangs that
// way under runc here). The checkpointer must seize before freezing, or handle stopped tasks
// without waiting on the freezer; the v2 freezer does not have this problem.
//
// v2: cgroup.freeze=1, then cgroup.events reports "frozen 1" once every task is stopped.
#include <poll.h>
#include <fcntl.h>

#include <chrono>
#include <thread>

#include "runtime/cgroup/cgroup.hpp"
#include "runtime/cgroup/cgroupfs.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/log.hpp"

namespace myrt::cgroup {

namespace {
using Clock = std::chrono::steady_clock;
constexpr auto freeze_timeout = std::chrono::seconds(5);
}  // namespace

void Cgroup::freeze_v1(const std::string& dir) {
    auto deadline = Clock::now() + freeze_timeout;
    std::string state;
    for (int attempt = 0;; ++attempt) {
        if (attempt % 50 == 49) {
            fs::write(dir, "freezer.state", "THAWED");
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        fs::write(dir, "freezer.state", "FROZEN");
        state = fs::trim(fs::read(dir, "freezer.state"));
        if (state == "FROZEN") {
            if (attempt > 1) log::debug("cgroup {} frozen after {} attempts", dir, attempt + 1);
            return;
        }
        if (state != "FREEZING") break;
        if (Clock::now() > deadline) break;
        std::this_thread::sleep_for(std::chrono::microseconds(attempt < 10 ? 100 : 1000));
    }
    // Never leave a half-frozen cgroup behind: its tasks would hang in FREEZING.
    try {
        fs::write(dir, "freezer.state", "THAWED");
    } catch (const Error&) {
    }
    fail("cannot freeze cgroup {}: freezer.state still reads {} after {} s", dir, state,
         std::chrono::duration_cast<std::chrono::seconds>(freeze_timeout).count());
}

void Cgroup::freeze_v2(const std::string& dir) {
    fs::write(dir, "cgroup.freeze", "1");
    std::string events_path = fs::join(dir, "cgroup.events");
    // cgroup.events signals every change with POLLPRI, so waiting costs no busy loop.
    UniqueFd fd(::open(events_path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) throw_errno("cannot open {}", events_path);
    auto deadline = Clock::now() + freeze_timeout;
    while (true) {
        if (fs::read_keyed(dir, "cgroup.events")["frozen"] == 1) return;
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
        if (left <= 0) break;
        pollfd p{fd.get(), POLLPRI, 0};
        // Short poll slices: a notification between the read and the poll would otherwise be lost.
        ::poll(&p, 1, static_cast<int>(std::min<long long>(left, 50)));
    }
    try {
        fs::write(dir, "cgroup.freeze", "0");
    } catch (const Error&) {
    }
    fail("cannot freeze cgroup {}: cgroup.events did not report \"frozen 1\" within {} s", dir,
         std::chrono::duration_cast<std::chrono::seconds>(freeze_timeout).count());
}

void Cgroup::freeze(FreezerChoice which) {
    auto* v1 = v1_for("freezer");
    if (which == FreezerChoice::v1 || (which == FreezerChoice::preferred && v1)) {
        if (!v1) fail("cgroup {} cannot be frozen with the v1 freezer: it is not mounted", path_);
        if (!fs::dir_exists(v1->dir)) fail("cannot freeze cgroup {}: it does not exist", v1->dir);
        return freeze_v1(v1->dir);
    }
    if (unified_.dir.empty()) fail("cgroup {} cannot be frozen: there is no cgroup v2 hierarchy", path_);
    if (!fs::dir_exists(unified_.dir)) fail("cannot freeze cgroup {}: it does not exist", unified_.dir);
    freeze_v2(unified_.dir);
}

void Cgroup::thaw() {
    bool any = false;
    if (auto* h = v1_for("freezer"); h && fs::dir_exists(h->dir)) {
        any = true;
        if (fs::trim(fs::read(h->dir, "freezer.state")) != "THAWED") fs::write(h->dir, "freezer.state", "THAWED");
    }
    if (!unified_.dir.empty() && fs::dir_exists(unified_.dir) && fs::exists(unified_.dir, "cgroup.freeze")) {
        any = true;
        if (fs::read_int(unified_.dir, "cgroup.freeze") != 0) fs::write(unified_.dir, "cgroup.freeze", "0");
    }
    if (!any) fail("cannot thaw cgroup {}: it does not exist", path_);
}

FreezerState Cgroup::freezer_state() const {
    if (auto* h = v1_for("freezer"); h && fs::dir_exists(h->dir)) {
        auto state = fs::trim(fs::read(h->dir, "freezer.state"));
        if (state == "FREEZING") return FreezerState::freezing;
        if (state == "FROZEN") return FreezerState::frozen;
        if (state != "THAWED") fail("{}/freezer.state reads \"{}\", not THAWED, FREEZING or FROZEN", h->dir, state);
    }
    if (!unified_.dir.empty() && fs::dir_exists(unified_.dir) && fs::exists(unified_.dir, "cgroup.freeze")) {
        if (fs::read_int(unified_.dir, "cgroup.freeze") == 0) return FreezerState::thawed;
        return fs::read_keyed(unified_.dir, "cgroup.events")["frozen"] == 1 ? FreezerState::frozen
                                                                            : FreezerState::freezing;
    }
    return FreezerState::thawed;
}

}  // namespace myrt::cgroup
