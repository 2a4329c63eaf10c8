#include "cr/tty/devpts.hpp"

#include "cr/files/path_in_root.hpp"
#include "cr/tty/tty_state.hpp"
#include "util/error.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cctype>
#include <fstream>
#include <sstream>

namespace myrt::cr::tty {

namespace {

// Placeholder ptys opened before the wanted index comes; a devpts instance
// holds at most a few thousand.
constexpr uint32_t max_index = 4096;

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape(const std::string& s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\' && i + 3 < s.size() && std::isdigit(static_cast<unsigned char>(s[i + 1]))) {
            out.push_back(static_cast<char>(std::stoi(s.substr(i + 1, 3), nullptr, 8)));
            i += 3;
        } else {
            out.push_back(s[i]);
        }
    }
    return out;
}

std::optional<uint32_t> fdinfo_tty_index(pid_t pid, int fd) {
    std::ifstream in(fmt::format("/proc/{}/fdinfo/{}", pid, fd));
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("tty-index:", 0) == 0) return static_cast<uint32_t>(std::stoul(line.substr(10)));
    return std::nullopt;
}

bool on_devpts(const std::string& path) {
    struct statfs sf {};
    return ::statfs(path.c_str(), &sf) == 0 && sf.f_type == DEVPTS_SUPER_MAGIC;
}

int fdinfo_mnt_id(pid_t pid, int fd) {
    std::ifstream in(fmt::format("/proc/{}/fdinfo/{}", pid, fd));
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("mnt_id:", 0) == 0) return std::stoi(line.substr(7));
    return -1;
}

}  // namespace

bool is_pty_slave_rdev(dev_t rdev) { return major(rdev) >= pty_slave_major_first && major(rdev) <= pty_slave_major_last; }
bool is_ptmx_rdev(dev_t rdev) { return major(rdev) == 5 && minor(rdev) == 2; }

std::optional<PtyId> identify(pid_t pid, int fd, const struct stat& st, const std::string& link) {
    if (!S_ISCHR(st.st_mode)) return std::nullopt;
    PtyId id;
    id.mnt_id = fdinfo_mnt_id(pid, fd);
    std::string proc_fd = fmt::format("/proc/{}/fd/{}", pid, fd);
    if (is_pty_slave_rdev(st.st_rdev)) {
        id.devpts_dev = st.st_dev;
        // Slaves are 136:N with 20-bit minors; 137-143 only carry 256 each in the old numbering.
        id.index = minor(st.st_rdev) + (major(st.st_rdev) - pty_slave_major_first) * 256u;
        return id;
    }
    if (!is_ptmx_rdev(st.st_rdev)) return std::nullopt;
    auto index = fdinfo_tty_index(pid, fd);
    if (!index) return std::nullopt;  // the ptmx node itself opened O_PATH, or a kernel without tty-index
    id.master = true;
    id.index = *index;
    if (on_devpts(proc_fd)) {
        id.devpts_dev = st.st_dev;
        return id;
    }
    // A /dev/ptmx device node: the kernel took the devpts at "pts" beside it.
    auto slash = link.rfind('/');
    std::string dir = slash == std::string::npos ? std::string("/") : link.substr(0, slash + 1);
    std::string pts = fmt::format("/proc/{}/root{}pts", pid, dir);
    struct stat ps {};
    if (::stat(pts.c_str(), &ps) != 0 || !on_devpts(pts))
        fail("fd {} of pid {} is a pty master opened through {} with no devpts at {}pts beside it", fd, pid, link, dir);
    id.devpts_dev = ps.st_dev;
    return id;
}

std::vector<MountEntry> mountinfo(pid_t pid) {
    std::string path = fmt::format("/proc/{}/mountinfo", pid);
    std::ifstream in(path);
    if (!in) throw_errno("open {}", path);
    std::vector<MountEntry> out;
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream f(line);
        MountEntry m;
        std::string parent, devno, root, point, word;
        if (!(f >> m.id >> parent >> devno >> root >> point)) continue;
        while (f >> word && word != "-") {
        }
        f >> m.fstype;
        unsigned maj = 0, min = 0;
        if (std::sscanf(devno.c_str(), "%u:%u", &maj, &min) == 2) m.dev = makedev(maj, min);
        m.point = unescape(point);
        out.push_back(std::move(m));
    }
    return out;
}

std::string devpts_mount_point(pid_t pid, uint64_t devpts_dev, int mnt_id, const std::string& what) {
    const MountEntry* found = nullptr;
    for (const auto& m : mountinfo(pid)) {
        if (m.fstype != "devpts" || m.dev != devpts_dev) continue;
        if (m.id == mnt_id) return m.point;
        if (!found) found = &m;
    }
    if (!found)
        fail("{}: its devpts instance ({}:{}) is not mounted in the container (pid {}'s mount table)", what,
             major(devpts_dev), minor(devpts_dev), pid);
    std::string point = found->point;
    return point;
}

UniqueFd open_pty_at(pid_t pid, const std::string& mount_point, uint32_t index) {
    if (index >= max_index && index != any_index) fail("pty index {} at {}: more than {} ptys per devpts are not restored", index, mount_point, max_index);
    // The last devpts mount at that point is the one path lookups see.
    bool mounted = false;
    for (const auto& m : mountinfo(pid))
        if (m.point == mount_point) mounted = m.fstype == "devpts";
    if (!mounted) fail("the restored container has no devpts mounted at {} (pid {}'s mount table)", mount_point, pid);
    std::string root_path = fmt::format("/proc/{}/root", pid);
    UniqueFd root(::open(root_path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root) throw_errno("open {}", root_path);
    std::string ptmx = mount_point + (mount_point.ends_with('/') ? "ptmx" : "/ptmx");
    UniqueFd probe = files::open_in_root(root.get(), ptmx, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (!probe) throw_errno("opening {} in the restored container", ptmx);
    struct stat st {};
    check(::fstat(probe.get(), &st), "fstat {}", ptmx);
    struct statfs sf {};
    check(::fstatfs(probe.get(), &sf), "fstatfs {}", ptmx);
    if (!S_ISCHR(st.st_mode) || !is_ptmx_rdev(st.st_rdev) || sf.f_type != DEVPTS_SUPER_MAGIC)
        fail("{} in the restored container is not the ptmx of a devpts instance", ptmx);
    std::string reopen = fmt::format("/proc/self/fd/{}", probe.get());
    std::vector<UniqueFd> placeholders;
    for (;;) {
        UniqueFd m(::open(reopen.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC));
        if (!m) throw_errno("opening {} in the restored container (for pty {})", ptmx, index);
        uint32_t got = pty_index(m.get());
        if (got == index || index == any_index) return m;  // the placeholders close on return
        if (got > index)
            fail("pty {} of the devpts at {} is taken in the restored container (the kernel handed out {})", index,
                 mount_point, got);
        placeholders.push_back(std::move(m));
    }
}

pid_t inner_pid(pid_t host_pid) {
    std::ifstream in(fmt::format("/proc/{}/status", host_pid));
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("NSpid:", 0) != 0) continue;
        std::istringstream f(line.substr(6));
        pid_t p = 0, last = 0;
        while (f >> p) last = p;
        return last;
    }
    return 0;
}

}  // namespace myrt::cr::tty
