#include "cr/checkpoint/freeze_guard.hpp"

#include <cstdio>

#include <fmt/format.h>

#include "util/error.hpp"
#include "util/log.hpp"

namespace myrt::cr {
namespace {

std::string v1_freezer_state_file(const cgroup::Cgroup& cg) {
    for (auto& h : cg.v1_hierarchies())
        for (auto& c : h.controllers)
            if (c == "freezer") return h.dir + "/freezer.state";
    return {};
}

std::string read_small(const std::string& path) {
    FILE* f = std::fopen(path.c_str(), "re");
    if (!f) return {};
    char buf[64] = {};
    size_t n = std::fread(buf, 1, sizeof buf - 1, f);
    std::fclose(f);
    return std::string(buf, n);
}

void write_small(const std::string& path, const std::string& text) {
    FILE* f = std::fopen(path.c_str(), "we");
    if (!f) throw_errno("open {}", path);
    bool ok = std::fputs(text.c_str(), f) >= 0;
    ok = (std::fclose(f) == 0) && ok;
    if (!ok) throw_errno("write {} to {}", text, path);
}

}  // namespace

FreezeGuard::FreezeGuard(cgroup::Cgroup& cg, WorkLog& log) : cg_(cg), log_(log) {
    if (cg.unified_dir().empty())
        fail("not supported yet: checkpoint of a container without a cgroup v2 directory to freeze it in");
    was_paused_ = cg.freezer_state() != cgroup::FreezerState::thawed;
    log_.line(fmt::format("container was {}", was_paused_ ? "paused" : "running"));
    auto v1 = v1_freezer_state_file(cg);
    if (!v1.empty() && read_small(v1).rfind("THAWED", 0) != 0) {
        // Tasks in the v1 refrigerator cannot take part in a v2 freeze:
        // ask v2 first, then let v1 go; they move from one to the other.
        write_small(cg.unified_dir() + "/cgroup.freeze", "1");
        frozen_ = true;
        write_small(v1, "THAWED");
        log_.line("paused through the v1 freezer: now held by the v2 freezer instead");
    }
    cg_.freeze(cgroup::FreezerChoice::v2);
    frozen_ = true;
}

void FreezeGuard::finish() noexcept {
    try {
        if (was_paused_) {
            if (!frozen_) cg_.freeze(cgroup::FreezerChoice::v2);
            frozen_ = true;
        } else if (frozen_) {
            cg_.thaw();
            frozen_ = false;
        }
    } catch (const std::exception& e) {
        log::error("could not return the container's cgroup to its {} state: {}", was_paused_ ? "paused" : "running",
                   e.what());
    }
}

}  // namespace myrt::cr
