// Placement (which directory in which hierarchy), creation, membership and removal.
#include "runtime/cgroup/cgroup.hpp"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <set>
#include <thread>

#include "runtime/cgroup/cgroupfs.hpp"
#include "runtime/cgroup/hierarchies.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace myrt::cgroup {

namespace {

// "/a//b/./c/" -> "/a/b/c"; ".." is refused so a config cannot climb out of a hierarchy.
std::string clean_path(const std::string& raw, const std::string& what) {
    bool absolute = !raw.empty() && raw[0] == '/';
    std::string out;
    for (auto& part : fs::split(raw, '/')) {
        if (part.empty() || part == ".") continue;
        if (part == "..") fail("{} \"{}\" must not contain \"..\"", what, raw);
        out += (out.empty() && !absolute ? "" : "/") + part;
    }
    if (out.empty() && absolute) out = "/";
    return out;
}

// systemd's slice naming: "a-b-c.slice" lives at /a.slice/a-b.slice/a-b-c.slice.
std::string expand_slice(const std::string& slice, const std::string& raw) {
    if (slice.empty() || slice == "-.slice") return "/";
    if (!slice.ends_with(".slice") || slice.find('/') != std::string::npos)
        fail("linux.cgroupsPath \"{}\": \"{}\" is not a systemd slice name", raw, slice);
    std::string stem = slice.substr(0, slice.size() - 6), path, prefix;
    for (auto& part : fs::split(stem, '-')) {
        if (part.empty()) fail("linux.cgroupsPath \"{}\": slice \"{}\" has an empty component", raw, slice);
        prefix += (prefix.empty() ? "" : "-") + part;
        path += "/" + prefix + ".slice";
    }
    return path;
}

std::string normalize_cgroups_path(const std::string& cgroups_path, const std::string& id, const std::string& parent) {
    if (cgroups_path.empty()) {
        if (id.empty()) fail("a container id is needed to name its cgroup when linux.cgroupsPath is empty");
        if (id.find('/') != std::string::npos) fail("container id \"{}\" must not contain '/'", id);
        std::string p = clean_path(parent, "cgroup parent");
        return p == "/" ? "/" + id : fs::join(p, id);
    }
    // runc's systemd form "slice:prefix:name"; a plain path never has two colons.
    auto parts = fs::split(cgroups_path, ':');
    if (parts.size() == 3 && cgroups_path.find('/') == std::string::npos) {
        const auto& name = parts[2];
        if (name.empty()) fail("linux.cgroupsPath \"{}\": the name after the last ':' is empty", cgroups_path);
        std::string leaf = name.ends_with(".slice") ? name : (parts[1].empty() ? name : parts[1] + "-" + name) + ".scope";
        std::string base = expand_slice(parts[0].empty() ? "system.slice" : parts[0], cgroups_path);
        return base == "/" ? "/" + leaf : base + "/" + leaf;
    }
    std::string p = clean_path(cgroups_path, "linux.cgroupsPath");
    if (p == "/" || p.empty()) fail("linux.cgroupsPath \"{}\" names the root cgroup; a container needs its own", cgroups_path);
    return p;
}

// The cgroup a process sits in, as a path relative to the mount's root (for relative placement).
std::string own_dir(const MountedHierarchy& m, const std::map<std::string, std::string>& own) {
    std::string key = m.v2 ? "" : m.controllers.front();
    auto it = own.find(key);
    std::string path = it == own.end() ? "/" : it->second;
    if (m.v2 && path.ends_with("/init.scope")) path.resize(path.size() - std::string("/init.scope").size());
    if (m.root != "/" && path.starts_with(m.root)) path = path.substr(m.root.size());
    return fs::join(m.mount_point, path);
}

}  // namespace

Cgroup Cgroup::for_container(const std::string& cgroups_path, const std::string& id, const std::string& parent) {
    Cgroup cg;
    cg.path_ = normalize_cgroups_path(cgroups_path, id, parent);
    auto mounts = mounted_hierarchies();
    cg.layout_ = layout_of(mounts);
    bool relative = cg.path_[0] != '/';
    std::map<std::string, std::string> own;
    if (relative) own = process_cgroups();
    for (auto& m : mounts) {
        std::string base = relative ? own_dir(m, own) : m.mount_point;
        Hierarchy h{m.mount_point, m.controllers, fs::join(base, cg.path_)};
        if (m.v2) cg.unified_ = std::move(h);
        else cg.v1_.push_back(std::move(h));
    }
    return cg;
}

nlohmann::json Cgroup::to_json() const {
    nlohmann::json v1 = nlohmann::json::array();
    for (auto& h : v1_) v1.push_back({{"mount", h.mount_point}, {"controllers", h.controllers}, {"dir", h.dir}});
    nlohmann::json j = {{"layout", to_string(layout_)}, {"cgroupsPath", path_}, {"v1", v1}};
    j["unified"] = unified_.dir.empty() ? nlohmann::json(nullptr)
                                         : nlohmann::json{{"mount", unified_.mount_point}, {"dir", unified_.dir}};
    if (partial_) j["partial"] = true;
    return j;
}

Cgroup Cgroup::from_json(const nlohmann::json& j) {
    auto need_string = [](const nlohmann::json& obj, const char* key, const std::string& where) {
        if (!obj.is_object() || !obj.contains(key) || !obj[key].is_string())
            fail("cgroup state {}{}: must be a string", where, key);
        std::string s = obj[key].get<std::string>();
        bool is_path = std::string(key) == "mount" || std::string(key) == "dir";
        if (is_path && (s.empty() || s[0] != '/'))
            fail("cgroup state {}{}: \"{}\" must be an absolute path", where, key, s);
        return s;
    };
    Cgroup cg;
    std::string layout = need_string(j, "layout", "");
    if (layout == "v1") cg.layout_ = Layout::v1;
    else if (layout == "v2") cg.layout_ = Layout::v2;
    else if (layout == "hybrid") cg.layout_ = Layout::hybrid;
    else fail("cgroup state layout: \"{}\" is not one of v1, v2, hybrid", layout);
    cg.path_ = need_string(j, "cgroupsPath", "");
    if (!j.contains("v1") || !j["v1"].is_array()) fail("cgroup state v1: must be an array");
    for (size_t i = 0; i < j["v1"].size(); ++i) {
        auto& e = j["v1"][i];
        std::string where = fmt::format("v1[{}].", i);
        Hierarchy h{need_string(e, "mount", where), {}, need_string(e, "dir", where)};
        if (!e.contains("controllers") || !e["controllers"].is_array() || e["controllers"].empty())
            fail("cgroup state {}controllers: must be a non-empty array", where);
        for (auto& c : e["controllers"]) {
            if (!c.is_string()) fail("cgroup state {}controllers: must hold strings", where);
            h.controllers.push_back(c.get<std::string>());
        }
        cg.v1_.push_back(std::move(h));
    }
    if (j.contains("unified") && !j["unified"].is_null())
        cg.unified_ = Hierarchy{need_string(j["unified"], "mount", "unified."), {}, need_string(j["unified"], "dir", "unified.")};
    cg.partial_ = j.value("partial", false);
    if (cg.layout_ != Layout::v1 && cg.unified_.dir.empty() && !cg.partial_)
        fail("cgroup state: layout {} needs a unified hierarchy entry", layout);
    return cg;
}

const Hierarchy* Cgroup::v1_for(const std::string& controller) const {
    for (auto& h : v1_)
        if (std::find(h.controllers.begin(), h.controllers.end(), controller) != h.controllers.end()) return &h;
    return nullptr;
}

bool Cgroup::v2_has(const std::string& controller) const {
    if (unified_.dir.empty()) return false;
    auto avail = fs::read_if_exists(unified_.mount_point, "cgroup.controllers");
    if (!avail) return false;
    for (auto& c : fs::split(fs::trim(*avail), ' '))
        if (c == controller) return true;
    return false;
}

bool Cgroup::has_controller(const std::string& controller) const {
    return v1_for(controller) != nullptr || v2_has(controller);
}

bool Cgroup::uses_v1_freezer() const { return v1_for("freezer") != nullptr; }

std::string Cgroup::path_in(const std::string& controller) const {
    if (controller == "unified") {
        if (unified_.dir.empty()) fail("this host has no cgroup v2 hierarchy (layout {})", to_string(layout_));
        return unified_.dir;
    }
    if (auto* h = v1_for(controller)) return h->dir;
    std::string named = "name=" + controller;
    if (auto* h = v1_for(named)) return h->dir;
    for (auto& h : v1_)  // a co-mounted hierarchy by its mount name, "cpu,cpuacct"
        if (fs::join(h.mount_point, "").ends_with("/" + controller)) return h.dir;
    if (!unified_.dir.empty() && v2_has(controller)) return unified_.dir;
    if (layout_ == Layout::v2 && !unified_.dir.empty()) return unified_.dir;
    fail("cgroup controller \"{}\" is not mounted on this host (layout {})", controller, to_string(layout_));
}

bool Cgroup::exists() const {
    for (auto& h : v1_)
        if (!fs::dir_exists(h.dir)) return false;
    return unified_.dir.empty() || fs::dir_exists(unified_.dir);
}

// v2 only delegates a controller to children listed in the parent's cgroup.subtree_control,
// so every ancestor of the container's cgroup enables what it has (runc does the same).
void Cgroup::enable_v2_controllers() {
    std::string rel = unified_.dir.substr(unified_.mount_point.size());
    std::string cur = unified_.mount_point;
    auto parts = fs::split(rel, '/');
    std::vector<std::string> comps;
    for (auto& p : parts)
        if (!p.empty()) comps.push_back(p);
    for (size_t i = 0; i + 1 <= comps.size(); ++i) {
        auto avail = fs::read_if_exists(cur, "cgroup.controllers");
        auto enabled = fs::read_if_exists(cur, "cgroup.subtree_control");
        if (avail && enabled) {
            std::set<std::string> on;
            for (auto& c : fs::split(fs::trim(*enabled), ' ')) on.insert(c);
            std::string want;
            for (auto& c : fs::split(fs::trim(*avail), ' '))
                if (!c.empty() && !on.count(c)) want += (want.empty() ? "+" : " +") + c;
            if (!want.empty()) {
                try {
                    fs::write(cur, "cgroup.subtree_control", want);
                } catch (const Error& e) {
                    // EBUSY: the ancestor holds processes itself (v2's no-internal-process rule);
                    // the container still works, only without those controllers.
                    log::warn("cannot delegate cgroup v2 controllers: {}", e.what());
                }
            }
        }
        cur = fs::join(cur, comps[i]);
    }
}

// A new v1 cpuset cgroup starts with empty cpus and mems, and no task may join it until both
// are set: copy them down from the nearest ancestor that has them, level by level.
static void init_cpuset_chain(const Hierarchy& h) {
    std::string rel = h.dir.substr(h.mount_point.size());
    std::string parent = h.mount_point;
    for (auto& part : fs::split(rel, '/')) {
        if (part.empty()) continue;
        std::string cur = fs::join(parent, part);
        for (const char* file : {"cpuset.cpus", "cpuset.mems"}) {
            auto mine = fs::read_if_exists(cur, file);
            if (mine && fs::trim(*mine).empty()) {
                auto theirs = fs::read_if_exists(parent, file);
                if (theirs && !fs::trim(*theirs).empty()) fs::write(cur, file, fs::trim(*theirs));
            }
        }
        parent = cur;
    }
}

void Cgroup::create() {
    for (auto& h : v1_) {
        fs::mkdir_p(h.dir);
        if (std::find(h.controllers.begin(), h.controllers.end(), "cpuset") != h.controllers.end()) init_cpuset_chain(h);
    }
    if (!unified_.dir.empty()) {
        fs::mkdir_p(unified_.dir);
        enable_v2_controllers();
    }
}

std::map<std::string, std::string> Cgroup::create_where_permitted() {
    std::map<std::string, std::string> left_out;
    // Only "not allowed" leaves a hierarchy out; any other error is as fatal as in create().
    auto permitted = [&](const std::string& dir, const std::function<void()>& make) {
        try {
            make();
            return true;
        } catch (const SystemError& e) {
            if (e.code() != EACCES && e.code() != EPERM && e.code() != EROFS) throw;
            ::rmdir(dir.c_str());  // a cpuset left without cpus could not be joined anyway
            left_out[dir] = e.what();
            return false;
        }
    };
    std::erase_if(v1_, [&](const Hierarchy& h) {
        return !permitted(h.dir, [&] {
            fs::mkdir_p(h.dir);
            if (std::find(h.controllers.begin(), h.controllers.end(), "cpuset") != h.controllers.end()) init_cpuset_chain(h);
        });
    });
    if (!unified_.dir.empty() && !permitted(unified_.dir, [&] { fs::mkdir_p(unified_.dir); })) unified_ = Hierarchy{};
    else if (!unified_.dir.empty()) enable_v2_controllers();
    partial_ = !left_out.empty();
    return left_out;
}

void Cgroup::add_process(pid_t pid) { add_process_below(pid, {}); }

void Cgroup::add_process_below(pid_t pid, const std::map<std::string, std::string>& below) {
    if (pid <= 0) fail("cannot add pid {} to cgroup {}: not a process id", pid, path_);
    for (auto& [controller, sub] : below) {
        if (sub.empty() || sub.front() == '/' || ("/" + sub + "/").find("/../") != std::string::npos)
            fail("exec --cgroup {}: the path must be relative to the container's cgroup and stay below it", sub);
        if (!controller.empty() && !v1_for(controller))
            fail("exec --cgroup {}:{}: the container has no cgroup v1 hierarchy with controller {}", controller, sub,
                 controller);
    }
    auto sub_of = [&](const std::vector<std::string>& controllers) -> std::string {
        for (auto& c : controllers)
            if (auto it = below.find(c); it != below.end()) return it->second;
        auto all = below.find("");
        return all == below.end() ? "" : all->second;
    };
    auto join_one = [&](const std::string& dir, const std::string& sub) {
        std::string target = sub.empty() ? dir : dir + "/" + sub;
        if (!fs::dir_exists(target))
            fail("cannot add pid {} to cgroup {}: it does not exist (create {} first)", pid, target,
                 sub.empty() ? "it" : "the sub-cgroup");
        fs::write(target, "cgroup.procs", std::to_string(pid));
    };
    for (auto& h : v1_) join_one(h.dir, sub_of(h.controllers));
    if (!unified_.dir.empty()) join_one(unified_.dir, sub_of({}));
}

// The hierarchy whose membership matters for freezing and listing: the one the freezer uses.
std::string Cgroup::procs_dir() const {
    if (auto* h = v1_for("freezer")) return h->dir;
    if (!unified_.dir.empty()) return unified_.dir;
    if (auto* h = v1_for("pids")) return h->dir;
    if (!v1_.empty()) return v1_.front().dir;
    fail("cgroup {} has no hierarchy to list processes from", path_);
}

std::vector<pid_t> Cgroup::pids() const {
    if (!has_hierarchies()) return {};  // a rootless container in no cgroup of its own
    return fs::procs_recursive(procs_dir());
}

void Cgroup::kill_all(int sig) {
    if (!exists() && pids().empty()) return;  // already gone: nothing left to signal
    bool atomic_kill = false;
    if (sig == SIGKILL && !unified_.dir.empty() && fs::exists(unified_.dir, "cgroup.kill")) {
        // cgroup.kill kills atomically, including tasks forked while it runs.
        fs::write(unified_.dir, "cgroup.kill", "1");
        if (layout_ == Layout::v2) return;
        // Hybrid: a task may have been moved out of the unified cgroup but kept in v1 ones,
        // so what the freezer hierarchy still lists is signalled too (no fork can escape now).
        atomic_kill = true;
    }
    // Without cgroup.kill a forking task could escape a pid-by-pid SIGKILL: freeze first so the
    // set is stable; the frozen tasks die as soon as they are thawed.
    bool froze = false;
    if (sig == SIGKILL && !atomic_kill && freezer_state() == FreezerState::thawed) {
        try {
            freeze();
            froze = true;
        } catch (const Error& e) {
            log::warn("killing cgroup {} without freezing it first: {}", path_, e.what());
        }
    }
    for (pid_t pid : pids())
        if (::kill(pid, sig) < 0 && errno != ESRCH) {
            int e = errno;
            if (froze) thaw();
            throw SystemError(e, fmt::format("cannot send signal {} to pid {} of cgroup {}", sig, pid, path_));
        }
    if (froze) thaw();
}

void Cgroup::destroy() {
    std::vector<std::string> dirs;
    for (auto& h : v1_) dirs.push_back(h.dir);
    if (!unified_.dir.empty()) dirs.push_back(unified_.dir);
    std::vector<std::string> errors;
    // One retry budget for the whole tree, so a cgroup that really is busy fails fast.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(500);
    for (auto& top : dirs) {
        // Usually a leaf: one rmdir, no listing of its control files.
        if (::rmdir(top.c_str()) == 0 || errno == ENOENT) continue;
        for (auto& d : fs::subtree_bottom_up(top)) {
            // A task that just exited may still be accounted for a moment (v2 "populated"),
            // so EBUSY is retried briefly before it is blamed on live processes.
            int err = 0;
            for (int delay_ms = 5;; delay_ms = std::min(delay_ms * 2, 100)) {
                if (::rmdir(d.c_str()) == 0 || errno == ENOENT) {
                    err = 0;
                    break;
                }
                err = errno;
                if (err != EBUSY || std::chrono::steady_clock::now() >= deadline) break;
                std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
            }
            if (err == 0) continue;
            auto left = fs::procs_recursive(d);
            if (err == EBUSY && !left.empty()) {
                std::string list;
                for (size_t i = 0; i < left.size() && i < 10; ++i) list += (i ? ", " : "") + std::to_string(left[i]);
                if (left.size() > 10) list += ", ...";
                errors.push_back(fmt::format("cannot remove cgroup {}: it still has {} process(es) (pid {})", d,
                                             left.size(), list));
            } else {
                errors.push_back(fmt::format("cannot remove cgroup {}: {}", d, std::generic_category().message(err)));
            }
            break;  // the parents cannot go either
        }
    }
    if (errors.empty()) return;
    std::string msg = errors.front();
    if (errors.size() > 1) msg += fmt::format(" (and {} more hierarchies)", errors.size() - 1);
    throw Error(msg);
}

}  // namespace myrt::cgroup
