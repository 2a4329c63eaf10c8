#include "cr/net/net_lock.hpp"

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

// Runs argv inside the network namespace of `pid`; "" on success, else what went wrong.
std::string run_in_netns(pid_t pid, const std::vector<std::string>& args) {
    std::string path = fmt::format("/proc/{}/ns/net", pid);
    UniqueFd ns(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!ns) return fmt::format("open {}: {}", path, std::strerror(errno));
    int pipefd[2];
    if (::pipe2(pipefd, O_CLOEXEC) < 0) return fmt::format("pipe: {}", std::strerror(errno));
    UniqueFd rd(pipefd[0]), wr(pipefd[1]);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    pid_t child = ::fork();
    if (child < 0) return fmt::format("fork: {}", std::strerror(errno));
    if (child == 0) {
        // Only async-signal-safe calls between fork and exec.
        if (::setns(ns.get(), CLONE_NEWNET) < 0) ::_exit(126);
        ::dup2(wr.get(), 1);
        ::dup2(wr.get(), 2);
        ::execvp(argv[0], argv.data());
        ::_exit(127);
    }
    wr.reset();
    std::string out;
    char buf[512];
    for (ssize_t n; (n = ::read(rd.get(), buf, sizeof buf)) != 0;) {
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) break;
        out.append(buf, static_cast<size_t>(n));
    }
    int status = 0;
    while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {}
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {};
    while (!out.empty() && out.back() == '\n') out.pop_back();
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127) return fmt::format("{} could not be run (is it installed?)", args[0]);
    return fmt::format("{} exited with status {}: {}", args[0], WIFEXITED(status) ? WEXITSTATUS(status) : -1, out);
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
