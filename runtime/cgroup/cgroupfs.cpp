#include "runtime/cgroup/cgroupfs.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <functional>

#include "util/error.hpp"
#include "util/fd.hpp"

namespace myrt::cgroup::fs {

std::string join(const std::string& a, const std::string& b) {
    if (b.empty()) return a;
    if (a.empty()) return b;
    std::string out = a;
    if (out.back() == '/' && b.front() == '/') out.pop_back();
    else if (out.back() != '/' && b.front() != '/') out += '/';
    return out + b;
}

std::string trim(std::string s) {
    auto not_space = [](unsigned char c) { return !std::isspace(c); };
    s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
    s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
    return s;
}

std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> out;
    size_t start = 0;
    while (true) {
        size_t pos = s.find(sep, start);
        out.push_back(s.substr(start, pos - start));
        if (pos == std::string::npos) break;
        start = pos + 1;
    }
    return out;
}

void write(const std::string& dir, const std::string& name, const std::string& value) {
    std::string path = join(dir, name);
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd) throw_errno("cannot open cgroup file {} to write \"{}\"", path, value);
    ssize_t n;
    do {
        n = ::write(fd.get(), value.data(), value.size());
    } while (n < 0 && errno == EINTR);
    if (n < 0) throw_errno("cannot write \"{}\" to {}", value, path);
    if (static_cast<size_t>(n) != value.size())
        fail("short write of \"{}\" to {} ({} of {} bytes)", value, path, n, value.size());
}

std::optional<std::string> read_if_exists(const std::string& dir, const std::string& name) {
    std::string path = join(dir, name);
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
        if (errno == ENOENT) return std::nullopt;
        throw_errno("cannot open cgroup file {}", path);
    }
    std::string out;
    char buf[4096];
    while (true) {
        ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw_errno("cannot read cgroup file {}", path);
        if (n == 0) break;
        out.append(buf, static_cast<size_t>(n));
    }
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
}

std::string read(const std::string& dir, const std::string& name) {
    auto v = read_if_exists(dir, name);
    if (!v) fail("cgroup file {} does not exist", join(dir, name));
    return *v;
}

bool exists(const std::string& dir, const std::string& name) {
    return ::access(join(dir, name).c_str(), F_OK) == 0;
}

bool dir_exists(const std::string& dir) {
    struct stat st;
    return ::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

static int64_t parse_int(const std::string& text, const std::string& path) {
    std::string t = trim(text);
    if (t == "max") return -1;
    int64_t v = 0;
    auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    if (ec == std::errc::result_out_of_range) {
        // v1 "unlimited" is LONG_MAX rounded down to a page; anything above int64 is unlimited too.
        return -1;
    }
    if (ec != std::errc() || p != t.data() + t.size()) fail("cgroup file {} holds \"{}\", not an integer", path, t);
    return v;
}

std::optional<int64_t> read_int_if_exists(const std::string& dir, const std::string& name) {
    auto v = read_if_exists(dir, name);
    if (!v) return std::nullopt;
    return parse_int(*v, join(dir, name));
}

int64_t read_int(const std::string& dir, const std::string& name) {
    return parse_int(read(dir, name), join(dir, name));
}

std::map<std::string, uint64_t> read_keyed(const std::string& dir, const std::string& name) {
    std::map<std::string, uint64_t> out;
    for (auto& line : split(read(dir, name), '\n')) {
        auto sp = line.find(' ');
        if (sp == std::string::npos) continue;
        uint64_t v = 0;
        std::string num = trim(line.substr(sp + 1));
        auto [p, ec] = std::from_chars(num.data(), num.data() + num.size(), v);
        if (ec == std::errc()) out[line.substr(0, sp)] = v;
    }
    return out;
}

void mkdir_p(const std::string& dir) {
    if (dir.empty() || dir[0] != '/') fail("cgroup directory \"{}\" is not an absolute path", dir);
    // The hierarchy's root and the parent usually exist: try the leaf first
    // and climb only on ENOENT (each mkdir in a v1 hierarchy is a syscall per
    // controller on every create).
    if (::mkdir(dir.c_str(), 0755) == 0 || errno == EEXIST) return;
    if (errno != ENOENT) throw_errno("cannot create cgroup directory {}", dir);
    auto slash = dir.find_last_of('/');
    if (slash > 0) mkdir_p(dir.substr(0, slash));
    if (::mkdir(dir.c_str(), 0755) < 0 && errno != EEXIST) throw_errno("cannot create cgroup directory {}", dir);
}

std::vector<std::string> subtree_bottom_up(const std::string& dir) {
    std::vector<std::string> out;
    std::function<void(const std::string&)> walk = [&](const std::string& d) {
        DIR* raw = ::opendir(d.c_str());
        if (!raw) {
            if (errno == ENOENT) return;  // removed concurrently
            throw_errno("cannot list cgroup directory {}", d);
        }
        std::unique_ptr<DIR, int (*)(DIR*)> dh(raw, ::closedir);
        std::vector<std::string> children;
        while (auto* e = ::readdir(dh.get())) {
            std::string name = e->d_name;
            if (name == "." || name == "..") continue;
            if (e->d_type == DT_DIR) children.push_back(join(d, name));
        }
        for (auto& c : children) walk(c);
        out.push_back(d);
    };
    walk(dir);
    return out;
}

std::vector<pid_t> procs(const std::string& dir) {
    std::vector<pid_t> out;
    auto text = read_if_exists(dir, "cgroup.procs");
    if (!text) return out;
    for (auto& line : split(*text, '\n')) {
        if (line.empty()) continue;
        pid_t pid = 0;
        auto [p, ec] = std::from_chars(line.data(), line.data() + line.size(), pid);
        if (ec == std::errc()) out.push_back(pid);
    }
    return out;
}

std::vector<pid_t> procs_recursive(const std::string& dir) {
    std::vector<pid_t> out;
    if (!dir_exists(dir)) return out;
    for (auto& d : subtree_bottom_up(dir)) {
        auto p = procs(d);
        out.insert(out.end(), p.begin(), p.end());
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

}  // namespace myrt::cgroup::fs
