#include "runtime/cgroup/hierarchies.hpp"

#include <fstream>
#include <set>
#include <sstream>

#include "runtime/cgroup/cgroupfs.hpp"
#include "util/error.hpp"

namespace myrt::cgroup {

namespace {

std::string slurp(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw_errno("cannot read {}", path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape(const std::string& s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\' && i + 3 < s.size() && std::isdigit(static_cast<unsigned char>(s[i + 1]))) {
            out += static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
            i += 3;
        } else {
            out += s[i];
        }
    }
    return out;
}

// Super-block options that are not controllers.
bool is_controller_option(const std::string& opt) {
    static const std::set<std::string> not_controllers = {
        "rw", "ro", "xattr", "noprefix", "clone_children", "cpuset_v2_mode", "none", "favordynmods",
    };
    if (opt.empty() || not_controllers.count(opt)) return false;
    if (opt.starts_with("release_agent=")) return false;
    return true;
}

}  // namespace

std::vector<MountedHierarchy> parse_mountinfo(const std::string& text) {
    std::vector<MountedHierarchy> out;
    std::map<std::string, size_t> index;  // hierarchy key -> position in out
    for (auto& line : fs::split(text, '\n')) {
        // id parent maj:min root mount-point options [optional...] - fstype source super-options
        auto dash = line.find(" - ");
        if (dash == std::string::npos) continue;
        std::istringstream head(line.substr(0, dash)), tail(line.substr(dash + 3));
        std::string id, parent, dev, root, mount_point, fstype, source, super_opts;
        head >> id >> parent >> dev >> root >> mount_point;
        tail >> fstype >> source >> super_opts;
        if (fstype != "cgroup" && fstype != "cgroup2") continue;
        MountedHierarchy h;
        h.mount_point = unescape(mount_point);
        h.root = unescape(root);
        h.v2 = fstype == "cgroup2";
        std::string key = "unified";
        if (!h.v2) {
            for (auto& opt : fs::split(super_opts, ','))
                if (is_controller_option(opt)) h.controllers.push_back(opt);
            if (h.controllers.empty()) continue;
            key.clear();
            for (auto& c : h.controllers) key += c + ",";
        }
        auto it = index.find(key);
        if (it == index.end()) {
            index[key] = out.size();
            out.push_back(std::move(h));
        } else if (out[it->second].root != "/" && h.root == "/") {
            out[it->second] = std::move(h);
        }
    }
    return out;
}

std::vector<MountedHierarchy> mounted_hierarchies(const std::string& mountinfo_path) {
    return parse_mountinfo(slurp(mountinfo_path));
}

Layout layout_of(const std::vector<MountedHierarchy>& mounts) {
    bool v1 = false, v2 = false;
    for (auto& m : mounts) {
        if (m.v2) v2 = true;
        else
            for (auto& c : m.controllers)
                if (!c.starts_with("name=")) v1 = true;
    }
    if (v1 && v2) return Layout::hybrid;
    if (v1) return Layout::v1;
    if (v2) return Layout::v2;
    fail("no cgroup hierarchy is mounted (no cgroup or cgroup2 entry in /proc/self/mountinfo)");
}

Layout detect_layout() { return layout_of(mounted_hierarchies()); }

std::string to_string(Layout layout) {
    switch (layout) {
        case Layout::v1: return "v1";
        case Layout::v2: return "v2";
        case Layout::hybrid: return "hybrid";
    }
    return "?";
}

std::string to_string(FreezerState state) {
    switch (state) {
        case FreezerState::thawed: return "thawed";
        case FreezerState::freezing: return "freezing";
        case FreezerState::frozen: return "frozen";
    }
    return "?";
}

std::map<std::string, std::string> process_cgroups(const std::string& proc_cgroup_path) {
    std::map<std::string, std::string> out;
    for (auto& line : fs::split(slurp(proc_cgroup_path), '\n')) {
        // hierarchy-id:controller-list:path
        auto a = line.find(':');
        if (a == std::string::npos) continue;
        auto b = line.find(':', a + 1);
        if (b == std::string::npos) continue;
        std::string ctrls = line.substr(a + 1, b - a - 1), path = line.substr(b + 1);
        if (ctrls.empty()) {
            out[""] = path;
            continue;
        }
        for (auto& c : fs::split(ctrls, ',')) out[c] = path;
    }
    return out;
}

}  // namespace myrt::cgroup
