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

#include <fmt/format.h>

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
std::string in_namespace(pid_t pid, const char* name, const std::function<std::string()>& fn,
                         const std::string& what) {
    auto path = fmt::format("/proc/{}/ns/{}", pid, name);
    UniqueFd nsfd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!nsfd) throw_errno("open {}", path);
    int p[2];
    check(::pipe2(p, O_CLOEXEC), "pipe for the {} namespace helper", name);
    UniqueFd rd(p[0]), wr(p[1]);
    pid_t child = ::fork();
    if (child < 0) throw_errno("fork a helper to {}", what);
    if (child == 0) {
        if (::setns(nsfd.get(), 0) != 0) ::_exit(errno ? errno : 1);
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
    if (st.flags & ns_uts) {
        auto reply = in_namespace(pid, "uts", [] {
            struct utsname u {};
            if (::uname(&u) != 0) throw SystemError(errno, "uname");
            return std::string(u.nodename) + '\n' + u.domainname;
        }, "read the host and domain names");
        auto nl = reply.find('\n');
        if (nl == std::string::npos) fail("the uts namespace helper of process {} gave no names", pid);
        st.hostname = reply.substr(0, nl);
        st.domainname = reply.substr(nl + 1);
    }
    if (st.flags & ns_net) {
        auto reply = in_namespace(pid, "net", [] {
            UniqueFd s(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
            if (!s) throw SystemError(errno, "socket");
            ifreq req{};
            std::strcpy(req.ifr_name, "lo");
            if (::ioctl(s.get(), SIOCGIFFLAGS, &req) != 0) throw SystemError(errno, "SIOCGIFFLAGS lo");
            return std::string((req.ifr_flags & IFF_UP) ? "up" : "down");
        }, "read the loopback state");
        st.loopback_up = reply == "up";
    }
    return st;
}

void restore_namespaces(pid_t pid, const NamespaceState& st) {
    if (st.flags & ns_uts) {
        in_namespace(pid, "uts", [&] {
            if (::sethostname(st.hostname.data(), st.hostname.size()) != 0) throw SystemError(errno, "sethostname");
            if (::setdomainname(st.domainname.data(), st.domainname.size()) != 0)
                throw SystemError(errno, "setdomainname");
            return std::string();
        }, fmt::format("set the host name \"{}\" and domain name \"{}\"", st.hostname, st.domainname));
    }
    if (st.flags & ns_net) {
        in_namespace(pid, "net", [&] {
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
            return std::string();
        }, fmt::format("bring the loopback {}", st.loopback_up ? "up" : "down"));
    }
}

}  // namespace myrt::cr::ns
