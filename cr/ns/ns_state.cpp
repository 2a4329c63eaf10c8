#include "cr/ns/ns_state.hpp"

#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <functional>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "util/error.hpp"
#include "util/fd.hpp"

namespace myrt::cr::ns {
namespace {

struct NsKind {
    uint32_t flag;
    const char* proc_name;
    const char* oci_name;
};
constexpr NsKind kinds[] = {
    {ns_pid, "pid", "pid"},       {ns_mnt, "mnt", "mount"},   {ns_uts, "uts", "uts"},
    {ns_ipc, "ipc", "ipc"},       {ns_net, "net", "network"}, {ns_cgroup, "cgroup", "cgroup"},
    {ns_user, "user", "user"},    {ns_time, "time", "time"},
};

ino_t ns_inode(pid_t pid, const char* name) {
    struct stat s {};
    auto path = fmt::format("/proc/{}/ns/{}", pid, name);
    if (::stat(path.c_str(), &s) != 0) throw_errno("stat {}", path);
    return s.st_ino;
}

// Runs `fn` in a child that joined `pid`'s namespace `name`; the child's
// reply (at most 256 bytes) comes back through a pipe. A child exit code
// other than 0 carries the errno of the step that failed.
std::string in_namespaces(pid_t pid, const std::vector<const char*>& names, const std::function<std::string()>& fn,
                          const std::string& what) {
    std::vector<UniqueFd> nsfds;
    for (const char* n : names) {
        auto path = fmt::format("/proc/{}/ns/{}", pid, n);
        nsfds.emplace_back(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
        if (!nsfds.back()) throw_errno("open {}", path);
    }
    std::string name = fmt::format("{}", fmt::join(names, ","));
    int p[2];
    check(::pipe2(p, O_CLOEXEC), "pipe for the {} namespace helper", name);
    UniqueFd rd(p[0]), wr(p[1]);
    pid_t child = ::fork();
    if (child < 0) throw_errno("fork a helper to {}", what);
    if (child == 0) {
        for (auto& fd : nsfds)
            if (::setns(fd.get(), 0) != 0) ::_exit(errno ? errno : 1);
        errno = 0;
        std::string out;
        try {
            out = fn();
        } catch (const SystemError& e) {
            ::_exit(e.code() ? e.code() : 1);
        } catch (...) {
            ::_exit(EINVAL);
        }
        if (::write(wr.get(), out.data(), out.size()) != static_cast<ssize_t>(out.size())) ::_exit(EIO);
        ::_exit(0);
    }
    wr.reset();
    std::string reply;
    char buf[256];
    for (;;) {
        ssize_t n = ::read(rd.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        reply.append(buf, static_cast<size_t>(n));
    }
    int status = 0;
    while (::waitpid(child, &status, 0) < 0)
        if (errno != EINTR) throw_errno("wait for the {} namespace helper", name);
    if (!WIFEXITED(status)) fail("the helper that had to {} died (status {})", what, status);
    if (WEXITSTATUS(status) != 0)
        throw SystemError(WEXITSTATUS(status), fmt::format("{} in the {} namespace of process {}", what, name, pid));
    return reply;
}

// A small /proc text file, whole.
std::string read_text(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) throw_errno("open {}", path);
    std::string out;
    char buf[512];
    for (;;) {
        ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw_errno("read {}", path);
        }
        if (n == 0) break;
        out.append(buf, static_cast<size_t>(n));
        if (out.size() > 4096) fail("{} is larger than expected", path);
    }
    return out;
}

std::string one_line(std::string s) {
    while (!s.empty() && s.back() == '\n') s.pop_back();
    for (auto& c : s)
        if (c == '\n') c = ',';
    return s;
}

}  // namespace

std::string describe_flags(uint32_t flags) {
    std::string out;
    for (auto& k : kinds)
        if (flags & k.flag) out += (out.empty() ? "" : ",") + std::string(k.proc_name);
    return out.empty() ? "none" : out;
}

uint32_t flag_of_oci_type(const std::string& type) {
    for (auto& k : kinds)
        if (type == k.oci_name) return k.flag;
    return 0;
}

NamespaceState dump_namespaces(pid_t pid, pid_t reference) {
    NamespaceState st;
    for (auto& k : kinds) {
        struct stat s {};
        // A kernel without time namespaces has no ns/time: nothing to compare.
        if (::stat(fmt::format("/proc/{}/ns/{}", reference, k.proc_name).c_str(), &s) != 0) continue;
        if (ns_inode(pid, k.proc_name) != s.st_ino) st.flags |= k.flag;
    }
    // Offsets are fixed once a task is in the namespace: the restore creates
    // the namespace from the bundle and checks it has these.
    if (st.flags & ns_time) st.time_offsets = read_text(fmt::format("/proc/{}/timens_offsets", pid));
    // The ids of the image are the container's own; the maps say what they were on this host.
    if (st.flags & ns_user) {
        st.uid_map = read_id_map(pid, "uid_map");
        st.gid_map = read_id_map(pid, "gid_map");
    }
    // One helper joins both namespaces: a fork is the expensive part.
    std::vector<const char*> join;
    if (st.flags & ns_uts) join.push_back("uts");
    if (st.flags & ns_net) join.push_back("net");
    if (join.empty()) return st;
    const bool uts = st.flags & ns_uts, net = st.flags & ns_net;
    auto reply = in_namespaces(pid, join, [uts, net] {
        std::string out;
        if (uts) {
            struct utsname u {};
            if (::uname(&u) != 0) throw SystemError(errno, "uname");
            out += std::string(u.nodename) + '\n' + u.domainname + '\n';
        }
        if (net) {
            UniqueFd s(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
            if (!s) throw SystemError(errno, "socket");
            ifreq req{};
            std::strcpy(req.ifr_name, "lo");
            if (::ioctl(s.get(), SIOCGIFFLAGS, &req) != 0) throw SystemError(errno, "SIOCGIFFLAGS lo");
            out += (req.ifr_flags & IFF_UP) ? "up\n" : "down\n";
        }
        return out;
    }, "read the host name, domain name and loopback state");
    std::vector<std::string> lines;
    size_t pos = 0;
    while (pos < reply.size()) {
        auto nl = reply.find('\n', pos);
        if (nl == std::string::npos) break;
        lines.push_back(reply.substr(pos, nl - pos));
        pos = nl + 1;
    }
    if (lines.size() != (uts ? 2u : 0u) + (net ? 1u : 0u)) fail("the namespace helper of process {} gave a bad reply", pid);
    if (uts) {
        st.hostname = lines[0];
        st.domainname = lines[1];
    }
    if (net) st.loopback_up = lines.back() == "up";
    return st;
}

void restore_namespaces(pid_t pid, const NamespaceState& st) {
    if (st.flags & ns_time) {
        auto now = read_text(fmt::format("/proc/{}/timens_offsets", pid));
        if (now != st.time_offsets)
            fail("the image's time namespace offsets ({}) differ from the new container's ({}): the bundle's "
                 "linux.timeOffsets must be the checkpointed container's",
                 one_line(st.time_offsets), one_line(now));
    }
    std::vector<const char*> join;
    if (st.flags & ns_uts) join.push_back("uts");
    if (st.flags & ns_net) join.push_back("net");
    if (join.empty()) return;
    in_namespaces(pid, join, [&] {
        if (st.flags & ns_uts) {
            if (::sethostname(st.hostname.data(), st.hostname.size()) != 0) throw SystemError(errno, "sethostname");
            if (::setdomainname(st.domainname.data(), st.domainname.size()) != 0)
                throw SystemError(errno, "setdomainname");
        }
        if (st.flags & ns_net) {
            UniqueFd s(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
            if (!s) throw SystemError(errno, "socket");
            ifreq req{};
            std::strcpy(req.ifr_name, "lo");
            if (::ioctl(s.get(), SIOCGIFFLAGS, &req) != 0) throw SystemError(errno, "SIOCGIFFLAGS lo");
            bool up = req.ifr_flags & IFF_UP;
            if (up != st.loopback_up) {
                req.ifr_flags = static_cast<short>(st.loopback_up ? (req.ifr_flags | IFF_UP) : (req.ifr_flags & ~IFF_UP));
                if (::ioctl(s.get(), SIOCSIFFLAGS, &req) != 0) throw SystemError(errno, "SIOCSIFFLAGS lo");
            }
        }
        return std::string();
    }, fmt::format("set the host name \"{}\", domain name \"{}\" and loopback {}", st.hostname, st.domainname,
                   st.loopback_up ? "up" : "down"));
}

}  // namespace myrt::cr::ns
