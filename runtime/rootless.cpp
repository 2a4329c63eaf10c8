#include "runtime/rootless.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <vector>

#include "runtime/fs_util.hpp"
#include "util/error.hpp"

namespace myrt::runtime {
namespace {

// The initial user namespace maps every id to itself: "0 0 4294967295".
bool in_initial_user_namespace() {
    std::ifstream in("/proc/self/uid_map");
    unsigned long long inside = 1, outside = 1, count = 0;
    if (!(in >> inside >> outside >> count)) return true;  // no procfs: assume the host's
    std::string more;
    return inside == 0 && outside == 0 && count == 4294967295ULL && !(in >> more);
}

bool is_own_single_id(const std::vector<spec::IdMapping>& m, unsigned own) {
    return m.size() == 1 && m[0].size == 1 && m[0].host_id == own;
}

// newuidmap PID INSIDE OUTSIDE COUNT...; the helper is setuid root (or has
// CAP_SETUID) and checks every range against /etc/subuid for the caller.
void run_map_helper(const char* helper, pid_t pid, const std::vector<spec::IdMapping>& m, const char* file) {
    std::vector<std::string> args = {helper, std::to_string(pid)};
    for (auto& e : m) {
        args.push_back(std::to_string(e.container_id));
        args.push_back(std::to_string(e.host_id));
        args.push_back(std::to_string(e.size));
    }
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t child = ::fork();
    if (child < 0) throw_errno("fork for {}", helper);
    if (child == 0) {
        ::execvp(helper, argv.data());
        ::_exit(127);
    }
    int status = 0;
    while (::waitpid(child, &status, 0) < 0)
        if (errno != EINTR) throw_errno("wait for {}", helper);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
        fail("linux.{} maps more than the caller's own id: an unprivileged caller needs {} (Debian package uidmap) "
             "and a range for its user in /etc/sub{}id", file, helper, file[0] == 'u' ? "u" : "g");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail("{} refused linux.{} for pid {} (the ranges must lie in the caller's /etc/sub{}id entry)", helper, file, pid,
             file[0] == 'u' ? "u" : "g");
}

std::string format_map(const std::vector<spec::IdMapping>& m) {
    std::string s;
    for (auto& e : m) s += std::to_string(e.container_id) + " " + std::to_string(e.host_id) + " " + std::to_string(e.size) + "\n";
    return s;
}

}  // namespace

bool rootless_caller() { return ::geteuid() != 0 || !in_initial_user_namespace(); }

std::string rootless_state_root() {
    const char* xdg = std::getenv("XDG_RUNTIME_DIR");
    bool has_xdg = xdg && *xdg;
    // Root of a user namespace (rootless Podman runs its runtime so) cannot write /run either.
    if (::geteuid() == 0) return has_xdg && !in_initial_user_namespace() ? std::string(xdg) + "/myrt" : std::string();
    if (has_xdg) return std::string(xdg) + "/myrt";
    return "/run/user/" + std::to_string(::geteuid()) + "/myrt";
}

void write_id_maps_unprivileged(pid_t pid, const spec::Linux& l) {
    std::string base = "/proc/" + std::to_string(pid);
    if (!l.uid_mappings.empty()) {
        if (is_own_single_id(l.uid_mappings, ::geteuid())) write_file(base + "/uid_map", format_map(l.uid_mappings));
        else run_map_helper("newuidmap", pid, l.uid_mappings, "uidMappings");
    }
    if (!l.gid_mappings.empty()) {
        if (is_own_single_id(l.gid_mappings, ::getegid())) {
            // The kernel takes an unprivileged gid_map only once setgroups is denied for good.
            write_file(base + "/setgroups", "deny");
            write_file(base + "/gid_map", format_map(l.gid_mappings));
        } else {
            run_map_helper("newgidmap", pid, l.gid_mappings, "gidMappings");
        }
    }
}

}  // namespace myrt::runtime
