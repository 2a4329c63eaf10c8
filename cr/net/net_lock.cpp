#include "cr/net/net_lock.hpp"

#include "cr/net/netns_exec.hpp"

#include "util/error.hpp"
#include "util/fd.hpp"

#include <fcntl.h>
#include <cstring>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

namespace myrt::cr::net {

namespace {

std::vector<std::string> rule(const InetSocket& s, const char* action) {
    return {s.family == AF_INET6 ? "ip6tables" : "iptables", "-w", action, "INPUT", "-p", "tcp",
            "-s", host_string(s.remote), "-d", host_string(s.local),
            "--sport", std::to_string(s.remote.port), "--dport", std::to_string(s.local.port), "-j", "DROP"};
}

std::string joined(const std::vector<std::string>& args) {
    std::string s;
    for (auto& a : args) s += (s.empty() ? "" : " ") + a;
    return s;
}

}  // namespace

void lock_connection(pid_t pid, const InetSocket& s) {
    auto args = rule(s, "-I");
    std::string error = run_in_netns(pid, args);
    if (!error.empty())
        fail("locking {} in the container's network namespace (`{}`): {}", describe(s), joined(args), error);
}

bool unlock_connection(pid_t pid, const InetSocket& s, std::string& why) {
    why = run_in_netns(pid, rule(s, "-D"));
    return why.empty();
}

}  // namespace myrt::cr::net
