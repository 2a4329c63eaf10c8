#include "cr/net/netns_config.hpp"

#include "cr/net/in_container_ns.hpp"
#include "cr/net/netns_exec.hpp"
#include "util/error.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>
#include <functional>
#include <future>
#include <set>

namespace myrt::cr::net {

namespace {

using nlohmann::json;

constexpr size_t max_entries = 4096;
constexpr size_t max_sysctls = 16384;

json ip_json(pid_t pid, std::vector<std::string> args) {
    args.insert(args.begin(), {"ip", "-json"});
    std::string out;
    std::string error = run_in_netns(pid, args, &out);
    if (!error.empty()) fail("reading the container's network namespace (`ip -json {}`): {}", args[2], error);
    try {
        return json::parse(out.empty() ? "[]" : out);
    } catch (const std::exception& e) {
        fail("`ip -json` gave what is not JSON: {}", e.what());
    }
}

bool valid_ifname(const std::string& n) {
    return !n.empty() && n.size() < 16 && n != "." && n != ".." &&
           std::all_of(n.begin(), n.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'; });
}

bool valid_addr(uint32_t family, const std::string& a) {
    unsigned char buf[16];
    return inet_pton(family == 6 ? AF_INET6 : AF_INET, a.c_str(), buf) == 1;
}

bool valid_word(const std::string& w) {
    return !w.empty() && w.size() < 32 && std::all_of(w.begin(), w.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

// "10.0.0.0/24", "fd00::/64", "default"
bool valid_prefix(uint32_t family, const std::string& p) {
    if (p == "default") return true;
    auto slash = p.find('/');
    std::string a = p.substr(0, slash);
    if (!valid_addr(family, a)) return false;
    if (slash == std::string::npos) return true;
    std::string len = p.substr(slash + 1);
    if (len.empty() || len.size() > 3 || !std::all_of(len.begin(), len.end(), ::isdigit)) return false;
    return std::stoul(len) <= (family == 6 ? 128u : 32u);
}

// A key below /proc/sys/net: components of [A-Za-z0-9_.-], never "." or "..".
bool valid_sysctl_key(const std::string& k) {
    if (k.empty() || k.size() > 200 || k.front() == '/' || k.back() == '/') return false;
    size_t start = 0;
    while (start <= k.size()) {
        size_t end = k.find('/', start);
        if (end == std::string::npos) end = k.size();
        std::string c = k.substr(start, end - start);
        if (c.empty() || c == "." || c == ".." ||
            !std::all_of(c.begin(), c.end(), [](char ch) { return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '-' || ch == '.'; }))
            return false;
        start = end + 1;
    }
    return true;
}

std::string read_small(int dirfd, const std::string& rel, bool& ok) {
    ok = false;
    int fd = ::openat(dirfd, rel.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return {};
    char buf[512];
    ssize_t n = ::read(fd, buf, sizeof buf);
    ::close(fd);
    if (n < 0 || n == sizeof buf) return {};
    std::string v(buf, static_cast<size_t>(n));
    while (!v.empty() && v.back() == '\n') v.pop_back();
    ok = v.find('\n') == std::string::npos;
    return v;
}

// Every readable and writable file below /proc/sys/net of the calling thread's namespace.
void walk_sysctls(int dirfd, const std::string& prefix, std::vector<std::pair<std::string, std::string>>& out) {
    int dup = ::openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dup < 0) return;
    DIR* d = ::fdopendir(dup);
    if (!d) {
        ::close(dup);
        return;
    }
    std::vector<std::pair<std::string, bool>> names;
    while (dirent* e = ::readdir(d)) {
        std::string n = e->d_name;
        if (n == "." || n == "..") continue;
        names.emplace_back(n, e->d_type == DT_DIR);
    }
    ::closedir(d);
    std::sort(names.begin(), names.end());
    for (auto& [n, dir] : names) {
        std::string key = prefix.empty() ? n : prefix + "/" + n;
        if (dir) {
            int sub = ::openat(dirfd, n.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
            if (sub < 0) continue;
            walk_sysctls(sub, key, out);
            ::close(sub);
            continue;
        }
        struct stat sb {};
        if (::fstatat(dirfd, n.c_str(), &sb, AT_SYMLINK_NOFOLLOW) < 0 || !(sb.st_mode & S_IWUSR) || !(sb.st_mode & S_IRUSR)) continue;
        bool ok = false;
        std::string v = read_small(dirfd, n, ok);
        if (ok && valid_sysctl_key(key)) out.emplace_back(key, v);
    }
}

int open_proc_sys_net() {
    int fd = ::open("/proc/sys/net", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) throw_errno("open /proc/sys/net");
    return fd;
}

// The device-independent entries first: a write to conf/all or conf/default
// changes the devices' own, which are written after.
int sysctl_rank(const std::string& k) {
    if (k.find("/conf/all/") != std::string::npos) return 0;
    if (k.find("/conf/default/") != std::string::npos) return 1;
    if (k.find("/conf/") != std::string::npos || k.find("/neigh/") != std::string::npos) return 3;
    return 2;
}

std::string route_text(const NetRoute& r) {
    std::string s = fmt::format("{} {}", r.type == "unicast" ? "" : r.type, r.dst);
    if (!r.gateway.empty()) s += " via " + r.gateway;
    if (!r.dev.empty()) s += " dev " + r.dev;
    if (r.table != 254) s += fmt::format(" table {}", r.table);
    return s;
}

}  // namespace

NetnsConfig dump_netns_config(pid_t pid) {
    NetnsConfig c;
    // The sysctls (hundreds of small /proc reads) are walked on their own
    // thread while `ip` runs: together they were most of a small container's
    // checkpoint (170 ms of 370 under load, one after the other). The
    // future's destructor waits for the walk when an `ip` below fails.
    auto sysctls = std::async(std::launch::async, [pid] {
        std::vector<std::pair<std::string, std::string>> out;
        run_in_container_ns(pid, false, [&] {
            int fd = open_proc_sys_net();
            walk_sysctls(fd, "", out);
            ::close(fd);
        });
        return out;
    });
    for (const json& l : ip_json(pid, {"-details", "link", "show"})) {
        std::string name = l.value("ifname", "");
        std::string kind = l.contains("linkinfo") ? l["linkinfo"].value("info_kind", "") : "";
        std::string type = l.value("link_type", "");
        if (type != "loopback")
            fail("link {} (kind {}, type {}) of the container's network namespace: only the loopback is checkpointed (a veth "
                 "to the outside needs a namespace joined by path); not supported",
                 name, kind.empty() ? "?" : kind, type);
        NetLink nl;
        nl.name = name;
        nl.mtu = l.value("mtu", 0u);
        auto flags = l.value("flags", std::vector<std::string>{});
        nl.up = std::find(flags.begin(), flags.end(), "UP") != flags.end();
        c.links.push_back(nl);
    }
    for (const json& l : ip_json(pid, {"addr", "show"}))
        for (const json& a : l.value("addr_info", json::array())) {
            NetAddress na;
            na.dev = l.value("ifname", "");
            std::string fam = a.value("family", "");
            if (fam != "inet" && fam != "inet6") continue;
            na.family = fam == "inet6" ? 6 : 4;
            na.local = a.value("local", "");
            na.prefixlen = a.value("prefixlen", 0u);
            c.addresses.push_back(na);
        }
    for (const char* fam : {"-4", "-6"})
        for (const json& r : ip_json(pid, {fam, "route", "show", "table", "all"})) {
            NetRoute nr;
            nr.family = fam[1] == '6' ? 6 : 4;
            nr.protocol = r.value("protocol", "");
            if (r.contains("table") && r["table"].is_string()) {
                std::string t = r["table"];
                if (t == "local") continue;  // the kernel's, for its addresses
                nr.table = t == "main" ? 254 : t == "default" ? 253 : static_cast<uint32_t>(std::strtoul(t.c_str(), nullptr, 10));
            }
            if (nr.protocol == "kernel") continue;  // made by an address
            nr.type = r.value("type", "unicast");
            nr.dst = r.value("dst", "default");
            nr.gateway = r.value("gateway", "");
            nr.dev = r.value("dev", "");
            nr.scope = r.value("scope", "");
            nr.metric = r.value("metric", 0u);
            c.routes.push_back(nr);
        }
    c.sysctls = sysctls.get();
    return c;
}

std::vector<std::byte> encode_netns_config(const NetnsConfig& c) {
    json j;
    j["version"] = 1;
    j["links"] = json::array();
    for (auto& l : c.links) j["links"].push_back({{"name", l.name}, {"mtu", l.mtu}, {"up", l.up}});
    j["addresses"] = json::array();
    for (auto& a : c.addresses) j["addresses"].push_back({{"dev", a.dev}, {"family", a.family}, {"local", a.local}, {"prefixlen", a.prefixlen}});
    j["routes"] = json::array();
    for (auto& r : c.routes)
        j["routes"].push_back({{"family", r.family}, {"type", r.type}, {"dst", r.dst}, {"gateway", r.gateway}, {"dev", r.dev},
                               {"protocol", r.protocol}, {"scope", r.scope}, {"table", r.table}, {"metric", r.metric}});
    j["sysctls"] = json::array();
    for (auto& [k, v] : c.sysctls) j["sysctls"].push_back({k, v});
    std::string s = j.dump();
    auto p = reinterpret_cast<const std::byte*>(s.data());
    return {p, p + s.size()};
}

NetnsConfig decode_netns_config(std::span<const std::byte> bytes) {
    json j;
    try {
        j = json::parse(std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
    } catch (const std::exception& e) {
        fail("network namespace section: not JSON ({})", e.what());
    }
    auto bad = [](const std::string& what) { fail("network namespace section: {}", what); };
    auto obj = [&](const json& o, const char* k, json::value_t t) -> const json& {
        if (!o.is_object() || !o.contains(k) || o[k].type() != t) bad(fmt::format("field {} missing or of the wrong type", k));
        return o[k];
    };
    using vt = json::value_t;
    auto num = [&](const json& o, const char* k, uint32_t max) {
        const json& v = o.contains(k) && o[k].is_number_integer() && o[k].get<int64_t>() >= 0 ? o[k] : obj(o, k, vt::number_unsigned);
        uint64_t n = v.get<uint64_t>();
        if (n > max) bad(fmt::format("{} = {} is over {}", k, n, max));
        return static_cast<uint32_t>(n);
    };
    auto str = [&](const json& o, const char* k) { return obj(o, k, vt::string).get<std::string>(); };
    if (!j.is_object() || j.size() != 5 || num(j, "version", 1) != 1) bad("not version 1, or unknown fields");
    NetnsConfig c;
    std::set<std::string> names;
    for (const json& l : obj(j, "links", vt::array)) {
        if (c.links.size() >= max_entries || l.size() != 3) bad("a link with unknown fields, or too many");
        NetLink nl{str(l, "name"), num(l, "mtu", 65536), obj(l, "up", vt::boolean).get<bool>()};
        if (!valid_ifname(nl.name) || !names.insert(nl.name).second) bad(fmt::format("link name '{}'", nl.name));
        if (nl.mtu < 68) bad(fmt::format("MTU {} of {}", nl.mtu, nl.name));
        c.links.push_back(nl);
    }
    for (const json& a : obj(j, "addresses", vt::array)) {
        if (c.addresses.size() >= max_entries || a.size() != 4) bad("an address with unknown fields, or too many");
        NetAddress na{str(a, "dev"), str(a, "local"), num(a, "family", 6), 0};
        na.prefixlen = num(a, "prefixlen", na.family == 6 ? 128 : 32);
        if ((na.family != 4 && na.family != 6) || !names.count(na.dev) || !valid_addr(na.family, na.local))
            bad(fmt::format("address '{}' on '{}'", na.local, na.dev));
        c.addresses.push_back(na);
    }
    static const std::set<std::string> types = {"unicast", "blackhole", "unreachable", "prohibit", "local", "broadcast", "multicast", "anycast", "throw"};
    for (const json& r : obj(j, "routes", vt::array)) {
        if (c.routes.size() >= max_entries || r.size() != 9) bad("a route with unknown fields, or too many");
        NetRoute nr;
        nr.family = num(r, "family", 6);
        nr.type = str(r, "type");
        nr.dst = str(r, "dst");
        nr.gateway = str(r, "gateway");
        nr.dev = str(r, "dev");
        nr.protocol = str(r, "protocol");
        nr.scope = str(r, "scope");
        nr.table = num(r, "table", 0xffffffffu);
        nr.metric = num(r, "metric", 0xffffffffu);
        if ((nr.family != 4 && nr.family != 6) || !types.count(nr.type) || !valid_prefix(nr.family, nr.dst) ||
            (!nr.gateway.empty() && !valid_addr(nr.family, nr.gateway)) || (!nr.dev.empty() && !names.count(nr.dev)) ||
            (!nr.protocol.empty() && !valid_word(nr.protocol)) || (!nr.scope.empty() && !valid_word(nr.scope)) || nr.table == 0 ||
            nr.table == 255)
            bad(fmt::format("route {}", route_text(nr)));
        c.routes.push_back(nr);
    }
    for (const json& s : obj(j, "sysctls", vt::array)) {
        if (c.sysctls.size() >= max_sysctls || !s.is_array() || s.size() != 2 || !s[0].is_string() || !s[1].is_string())
            bad("a sysctl that is not [key, value], or too many");
        std::string k = s[0], v = s[1];
        if (!valid_sysctl_key(k) || v.size() > 500 || v.find('\n') != std::string::npos || v.find('\0') != std::string::npos)
            bad(fmt::format("sysctl '{}'", k));
        c.sysctls.emplace_back(k, v);
    }
    return c;
}

void restore_netns_config(pid_t pid, const NetnsConfig& c) {
    auto ip = [&](std::vector<std::string> args) {
        args.insert(args.begin(), "ip");
        std::string out;
        std::string error = run_in_netns(pid, args, &out);
        if (!error.empty()) {
            std::string cmd;
            for (auto& a : args) cmd += (cmd.empty() ? "" : " ") + a;
            fail("restoring the network namespace (`{}`): {}", cmd, error);
        }
    };
    // Links: the new namespace has its loopback; nothing else is accepted by the dump.
    for (const NetLink& l : c.links) {
        if (l.name != "lo") fail("network namespace section: link {} is not the loopback", l.name);
        ip({"link", "set", "dev", l.name, "mtu", std::to_string(l.mtu), l.up ? "up" : "down"});
    }
    // Sysctls: only those that differ in the new namespace, and only files that exist there.
    std::vector<std::pair<std::string, std::string>> ordered = c.sysctls;
    std::stable_sort(ordered.begin(), ordered.end(), [](auto& a, auto& b) { return sysctl_rank(a.first) < sysctl_rank(b.first); });
    run_in_container_ns(pid, false, [&] {
        int dirfd = open_proc_sys_net();
        for (auto& [k, v] : ordered) {
            bool ok = false;
            std::string now = read_small(dirfd, k, ok);
            if (!ok) fail("sysctl net.{}: not in the restored network namespace", k);
            if (now == v) continue;
            int fd = ::openat(dirfd, k.c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
            if (fd < 0 || ::write(fd, v.data(), v.size()) != static_cast<ssize_t>(v.size())) {
                int e = errno;
                if (fd >= 0) ::close(fd);
                ::close(dirfd);
                fail("sysctl net.{} = '{}': {}", k, v, std::strerror(e));
            }
            ::close(fd);
        }
        ::close(dirfd);
    });
    // Addresses the new namespace has already (lo's) are left as they are: a
    // replace would add their prefix route again.
    std::set<std::string> present;
    for (const json& l : ip_json(pid, {"addr", "show"}))
        for (const json& a : l.value("addr_info", json::array()))
            present.insert(fmt::format("{} {}/{}", l.value("ifname", ""), a.value("local", ""), a.value("prefixlen", 0u)));
    for (const NetAddress& a : c.addresses)
        if (!present.count(fmt::format("{} {}/{}", a.dev, a.local, a.prefixlen)))
            ip({a.family == 6 ? "-6" : "-4", "addr", "add", fmt::format("{}/{}", a.local, a.prefixlen), "dev", a.dev});
    for (const NetRoute& r : c.routes) {
        std::vector<std::string> args{r.family == 6 ? "-6" : "-4", "route", "replace", r.type, r.dst};
        if (!r.gateway.empty()) args.insert(args.end(), {"via", r.gateway});
        if (!r.dev.empty()) args.insert(args.end(), {"dev", r.dev});
        args.insert(args.end(), {"table", std::to_string(r.table)});
        if (r.metric) args.insert(args.end(), {"metric", std::to_string(r.metric)});
        if (!r.protocol.empty()) args.insert(args.end(), {"proto", r.protocol});
        if (!r.scope.empty()) args.insert(args.end(), {"scope", r.scope});
        ip(args);
    }
}

std::string describe(const NetnsConfig& c) {
    return fmt::format("{} links, {} addresses, {} routes, {} sysctls", c.links.size(), c.addresses.size(), c.routes.size(),
                       c.sysctls.size());
}

}  // namespace myrt::cr::net
