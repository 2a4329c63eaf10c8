#include "runtime/process_setup.hpp"

#include <fcntl.h>
#include <linux/close_range.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <map>

#include "runtime/fs_util.hpp"
#include "runtime/security/capabilities.hpp"
#include "runtime/security/seccomp.hpp"
#include "runtime/security/user.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"

namespace myrt::runtime {

static int rlimit_number(const std::string& name) {
    static const std::map<std::string, int> m = {
        {"RLIMIT_AS", RLIMIT_AS},           {"RLIMIT_CORE", RLIMIT_CORE},       {"RLIMIT_CPU", RLIMIT_CPU},
        {"RLIMIT_DATA", RLIMIT_DATA},       {"RLIMIT_FSIZE", RLIMIT_FSIZE},     {"RLIMIT_LOCKS", RLIMIT_LOCKS},
        {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK}, {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE}, {"RLIMIT_NICE", RLIMIT_NICE},
        {"RLIMIT_NOFILE", RLIMIT_NOFILE},   {"RLIMIT_NPROC", RLIMIT_NPROC},     {"RLIMIT_RSS", RLIMIT_RSS},
        {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},   {"RLIMIT_RTTIME", RLIMIT_RTTIME},   {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
        {"RLIMIT_STACK", RLIMIT_STACK}};
    auto it = m.find(name);
    if (it == m.end()) fail("process.rlimits: unknown rlimit type \"{}\"", name);
    return it->second;
}

void apply_rlimits(const std::vector<spec::Rlimit>& rlimits) {
    for (const auto& r : rlimits) {
        rlimit lim{static_cast<rlim_t>(r.soft), static_cast<rlim_t>(r.hard)};
        if (::setrlimit(rlimit_number(r.type), &lim) != 0) {
            int e = errno;
            if (e == EPERM)
                fail("process.rlimits: setting {} to soft {} hard {}: not permitted (raising a hard limit needs CAP_SYS_RESOURCE)",
                     r.type, r.soft, r.hard);
            throw SystemError(e, "process.rlimits: set " + r.type);
        }
    }
}

void apply_oom_score_adj(int value) {
    try {
        write_file("/proc/self/oom_score_adj", std::to_string(value));
    } catch (const SystemError& e) {
        fail("process.oomScoreAdj: cannot set {}: {}", value, e.what());
    }
}

static std::string env_value(const std::vector<std::string>& env, const std::string& key) {
    for (const auto& e : env)
        if (e.rfind(key + "=", 0) == 0) return e.substr(key.size() + 1);
    return {};
}

std::string resolve_executable(const spec::Process& p) {
    if (p.args.empty()) fail("process.args: must be a non-empty array");
    const std::string& prog = p.args[0];
    auto is_exec_file = [](const std::string& path) {
        struct stat st;
        return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
    };
    if (prog.find('/') != std::string::npos) {
        struct stat st;
        if (::stat(prog.c_str(), &st) != 0) fail("exec: \"{}\": stat {}: no such file or directory", prog, prog);
        return prog;
    }
    std::string path = env_value(p.env, "PATH");
    if (path.empty()) path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    size_t i = 0;
    while (i <= path.size()) {
        size_t j = path.find(':', i);
        if (j == std::string::npos) j = path.size();
        std::string dir = path.substr(i, j - i);
        if (dir.empty()) dir = ".";
        std::string cand = dir + "/" + prog;
        if (is_exec_file(cand)) return cand;
        i = j + 1;
    }
    fail("exec: \"{}\": executable file not found in $PATH", prog);
}

static unsigned long personality_value(const spec::Personality& p) {
    if (p.domain == "LINUX") return PER_LINUX;
    if (p.domain == "LINUX32") return PER_LINUX32;
    fail("linux.personality.domain: unknown domain \"{}\"", p.domain);
}

void setup_and_exec(const ExecPlan& plan, const std::function<void()>& before_exec) {
    const spec::Process& p = *plan.process;
    std::string exe = resolve_executable(p);
    apply_rlimits(p.rlimits);
    if (plan.personality) check(::personality(personality_value(*plan.personality)), "personality");

    std::optional<security::SeccompFilter> filter;
    if (plan.seccomp) filter.emplace(*plan.seccomp);
    if (p.no_new_privileges) check(::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(PR_SET_NO_NEW_PRIVS)");
    // Without no_new_privs, loading a filter needs CAP_SYS_ADMIN, so it goes in
    // before the capabilities are dropped; with it, as late as possible.
    auto load_filter = [&] {
        UniqueFd listener = filter->load();
        if (listener) security::send_seccomp_listener(plan.seccomp->listener_path, listener.get(), plan.state_json);
    };
    if (filter && !p.no_new_privileges) load_filter();

    if (p.capabilities) {
        security::drop_bounding_set(*p.capabilities);
        security::keep_caps_before_setuid();
    }
    security::switch_user(p.user);
    if (p.capabilities) security::apply_capabilities(*p.capabilities);

    // The working directory is entered as the target user, so a directory that
    // user cannot reach is an error here and not a surprise later.
    if (::chdir(p.cwd.c_str()) != 0) throw_errno("process.cwd: chdir to {}", p.cwd);

    if (before_exec) before_exec();
    if (filter && p.no_new_privileges) load_filter();

    std::vector<char*> argv, envp;
    for (auto& a : p.args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    for (auto& e : p.env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    ::syscall(SYS_close_range, 3 + plan.preserve_fds, ~0U, CLOSE_RANGE_CLOEXEC);
    ::execve(exe.c_str(), argv.data(), envp.data());
    throw_errno("exec: \"{}\"", p.args[0]);
}

}  // namespace myrt::runtime
