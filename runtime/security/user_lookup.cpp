// Resolves `exec --user NAME[:GROUP]` against the container's /etc/passwd and /etc/group.
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <charconv>
#include <optional>
#include <sstream>
#include <string_view>

#include "runtime/security/user.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"

namespace myrt::security {
namespace {

struct PasswdEntry {
    std::string name;
    uint32_t uid = 0;
    uint32_t gid = 0;
    std::string home;
};

struct GroupEntry {
    std::string name;
    uint32_t gid = 0;
    std::vector<std::string> members;
};

std::optional<uint32_t> parse_id(std::string_view text) {
    uint32_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return value;
}

std::vector<std::string_view> split(std::string_view text, char sep) {
    std::vector<std::string_view> parts;
    size_t start = 0;
    for (;;) {
        size_t pos = text.find(sep, start);
        parts.push_back(text.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start));
        if (pos == std::string_view::npos) return parts;
        start = pos + 1;
    }
}

// Reads a file of the rootfs resolving every path component inside it: a container's
// /etc/passwd that is a symlink to "/etc/shadow" must mean the container's own file.
// A missing file reads as empty (numeric ids need no database).
std::string read_in_rootfs(int root_fd, const std::string& rootfs, const char* relative) {
    open_how how{};
    how.flags = O_RDONLY | O_CLOEXEC;
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    long rc = ::syscall(SYS_openat2, root_fd, relative, &how, sizeof(how));
    if (rc < 0 && errno == ENOENT) return {};
    UniqueFd fd(static_cast<int>(check(rc, "open {}/{}", rootfs, relative)));
    std::string text;
    char buf[8192];
    for (;;) {
        ssize_t n = ::read(fd.get(), buf, sizeof(buf));
        if (n < 0 && errno == EINTR) continue;
        check(n, "read {}/{}", rootfs, relative);
        if (n == 0) return text;
        text.append(buf, static_cast<size_t>(n));
    }
}

template <class Entry, class Parse>
std::vector<Entry> parse_lines(const std::string& text, Parse parse) {
    std::vector<Entry> entries;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        if (auto e = parse(split(line, ':'))) entries.push_back(std::move(*e));
    }
    return entries;
}

std::vector<PasswdEntry> parse_passwd(const std::string& text) {
    // Malformed lines are skipped, as getpwnam does.
    return parse_lines<PasswdEntry>(text, [](const std::vector<std::string_view>& f) -> std::optional<PasswdEntry> {
        if (f.size() < 4) return std::nullopt;
        auto uid = parse_id(f[2]);
        auto gid = parse_id(f[3]);
        if (!uid || !gid) return std::nullopt;
        return PasswdEntry{std::string(f[0]), *uid, *gid, f.size() > 5 ? std::string(f[5]) : std::string()};
    });
}

std::vector<GroupEntry> parse_group(const std::string& text) {
    return parse_lines<GroupEntry>(text, [](const std::vector<std::string_view>& f) -> std::optional<GroupEntry> {
        if (f.size() < 3) return std::nullopt;
        auto gid = parse_id(f[2]);
        if (!gid) return std::nullopt;
        GroupEntry g{std::string(f[0]), *gid, {}};
        if (f.size() >= 4 && !f[3].empty())
            for (auto m : split(f[3], ',')) g.members.emplace_back(m);
        return g;
    });
}

}  // namespace

spec::User resolve_user(const std::string& rootfs, const std::string& user_spec) {
    auto colon = user_spec.find(':');
    std::string user_part = user_spec.substr(0, colon);
    std::optional<std::string> group_part;
    if (colon != std::string::npos) group_part = user_spec.substr(colon + 1);
    if (user_part.empty()) fail("user \"{}\": the user part is empty", user_spec);
    if (group_part && group_part->empty()) fail("user \"{}\": the group part after ':' is empty", user_spec);

    UniqueFd root(::open(rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root) throw_errno("open rootfs {}", rootfs);

    auto passwd = parse_passwd(read_in_rootfs(root.get(), rootfs, "etc/passwd"));
    spec::User user;
    std::optional<std::string> matched_name;
    if (auto uid = parse_id(user_part)) {
        user.uid = *uid;
        for (const auto& e : passwd)
            if (e.uid == *uid) {
                user.gid = e.gid;
                matched_name = e.name;
                break;
            }
    } else {
        for (const auto& e : passwd)
            if (e.name == user_part) {
                user.uid = e.uid;
                user.gid = e.gid;
                matched_name = e.name;
                break;
            }
        if (!matched_name) fail("user \"{}\" is not in {}/etc/passwd", user_part, rootfs);
    }

    if (!group_part && !matched_name) return user;
    auto groups = parse_group(read_in_rootfs(root.get(), rootfs, "etc/group"));
    if (group_part) {
        // An explicit group replaces the primary gid and, as in runc, brings no supplementary groups.
        if (auto gid = parse_id(*group_part)) {
            user.gid = *gid;
        } else {
            bool found = false;
            for (const auto& g : groups)
                if (g.name == *group_part) {
                    user.gid = g.gid;
                    found = true;
                    break;
                }
            if (!found) fail("group \"{}\" is not in {}/etc/group", *group_part, rootfs);
        }
        return user;
    }
    for (const auto& g : groups)
        for (const auto& m : g.members)
            if (m == *matched_name) {
                user.additional_gids.push_back(g.gid);
                break;
            }
    return user;
}

std::string home_directory(const std::string& rootfs, uint32_t uid) {
    UniqueFd root(::open(rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root) throw_errno("open rootfs {}", rootfs);
    for (const auto& e : parse_passwd(read_in_rootfs(root.get(), rootfs, "etc/passwd")))
        if (e.uid == uid) return e.home.empty() ? "/" : e.home;
    return "/";
}

}  // namespace myrt::security
