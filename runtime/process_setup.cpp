#include "runtime/process_setup.hpp"

#include <fcntl.h>
#include <linux/close_range.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cctype>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <map>
#include <set>
#include <string_view>

#include "runtime/fs_util.hpp"
#include "runtime/process_scheduling.hpp"
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

// The last value wins, as in the environment prepare_env() makes.
static std::string env_value(const std::vector<std::string>& env, const std::string& key) {
    for (auto it = env.rbegin(); it != env.rend(); ++it)
        if (it->rfind(key + "=", 0) == 0) return it->substr(key.size() + 1);
    return {};
}

// runc's reading of process.env: one entry per key, its last value, at the place of its last
// occurrence; an empty HOME counts as unset, and an unset HOME comes from the rootfs's passwd.
static std::vector<std::string> prepare_env(const std::vector<std::string>& env, uint32_t uid) {
    std::vector<std::string> out;
    std::set<std::string_view> seen;
    bool home_set = false;
    for (auto it = env.rbegin(); it != env.rend(); ++it) {
        std::string_view kv = *it;
        auto key = kv.substr(0, kv.find('='));
        if (!seen.insert(key).second) continue;
        if (key == "HOME") {
            if (kv.size() == key.size() + 1) continue;
            home_set = true;
        }
        out.push_back(*it);
    }
    std::reverse(out.begin(), out.end());
    if (!home_set) out.push_back("HOME=" + security::home_directory("/", uid));
    return out;
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

static void set_env(std::vector<std::string>& env, const std::string& key, const std::string& value) {
    std::erase_if(env, [&](const std::string& e) { return e.rfind(key + "=", 0) == 0; });
    env.push_back(key + "=" + value);
}

// As runc: stdio handed to a non-root process (pipes, files) is given to its
// user, or it could not reopen /proc/self/fd/N. /dev/null is everyone's, and
// fds from outside a user namespace cannot be chowned (EINVAL/EPERM): skipped.
static void give_stdio_to_user(const spec::User& u) {
    struct stat null_st;
    bool have_null = ::stat("/dev/null", &null_st) == 0 && S_ISCHR(null_st.st_mode);
    for (int fd = 0; fd <= 2; ++fd) {
        struct stat st;
        if (::fstat(fd, &st) != 0) continue;
        if (have_null && S_ISCHR(st.st_mode) && st.st_rdev == null_st.st_rdev) continue;
        if (st.st_uid == u.uid && st.st_gid == u.gid) continue;
        if (::fchown(fd, u.uid, u.gid) != 0 && errno != EINVAL && errno != EPERM)
            throw_errno("give fd {} (stdio) to uid {} gid {}", fd, u.uid, u.gid);
    }
}

int listen_fds_of(const std::vector<std::string>& process_env) {
    std::string text = env_value(process_env, "LISTEN_FDS");
    if (text.empty()) {
        // The runtime's own env, as runc: systemd sets LISTEN_PID to the
        // process it activated, which is this runtime.
        const char* fds = std::getenv("LISTEN_FDS");
        const char* pid = std::getenv("LISTEN_PID");
        if (!fds || (pid && std::string(pid) != std::to_string(::getpid()))) return 0;
        text = fds;
    }
    int n = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc() || end != text.data() + text.size() || n < 0 || n > 1024)
        fail("LISTEN_FDS: \"{}\" is not a number of file descriptors", text);
    return n;
}

void setup_and_exec(const ExecPlan& plan, const std::function<void()>& before_exec) {
    const spec::Process& p = *plan.process;
    std::string exe = resolve_executable(p);
    // Read as root, before the user changes: the passwd file of the rootfs.
    std::vector<std::string> env = prepare_env(p.env, p.user.uid);
    if (plan.listen_fds > 0) {
        // Socket activation: the fds stay where they are (3..), and the
        // program must see itself as the process they were meant for.
        set_env(env, "LISTEN_FDS", std::to_string(plan.listen_fds));
        set_env(env, "LISTEN_PID", std::to_string(::getpid()));
    }
    if (!p.terminal) give_stdio_to_user(p.user);
    apply_rlimits(p.rlimits);
    // Still root with every capability the runtime has: raising a priority needs CAP_SYS_NICE.
    if (p.io_priority) apply_io_priority(*p.io_priority);
    if (p.scheduler) apply_scheduler(*p.scheduler);
    if (plan.personality) check(::personality(personality_value(*plan.personality)), "personality");

    std::optional<security::SeccompFilter> filter;
    if (plan.seccomp) filter.emplace(*plan.seccomp);
    if (p.no_new_privileges) check(::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(PR_SET_NO_NEW_PRIVS)");
    // Without no_new_privs, loading a filter needs CAP_SYS_ADMIN, so it goes in
    // before the capabilities are dropped; with it, as late as possible.
    auto load_filter = [&] {
        UniqueFd listener = filter->load();
        if (!listener) return;
        if (!plan.hand_over_listener) fail("linux.seccomp: the filter made a notify listener but nothing can deliver it");
        plan.hand_over_listener(std::move(listener));
    };
    if (filter && !p.no_new_privileges) load_filter();
    bool listener_early = filter && p.no_new_privileges && filter->uses_notify();

    // The working directory is entered first as the runtime's root, which can reach a directory
    // the process's user cannot (runc's order); only if root is refused, again as that user
    // (a directory on a file system root is squashed on, such as NFS, or a user namespace's).
    auto enter_cwd = [&] {
        if (::chdir(p.cwd.c_str()) == 0) return true;
        if (errno == ENOENT) fail("process.cwd: {} does not exist in the container", p.cwd);
        if (errno != EACCES && errno != EPERM) throw_errno("process.cwd: chdir to {}", p.cwd);
        return false;
    };
    bool cwd_entered = enter_cwd();

    if (p.capabilities) {
        security::drop_bounding_set(*p.capabilities);
        security::keep_caps_before_setuid();
    }
    security::switch_user(p.user);
    if (p.capabilities) security::apply_capabilities(*p.capabilities);
    if (!cwd_entered && !enter_cwd()) throw_errno("process.cwd: chdir to {}", p.cwd);

    if (listener_early) load_filter();
    if (before_exec) before_exec();
    if (filter && p.no_new_privileges && !listener_early) load_filter();

    std::vector<char*> argv, envp;
    for (auto& a : p.args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    for (auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    ::syscall(SYS_close_range, 3 + plan.listen_fds + plan.preserve_fds, ~0U, CLOSE_RANGE_CLOEXEC);
    ::execve(exe.c_str(), argv.data(), envp.data());
    // runc's wording (Go's PathError), which callers match: "exec PATH: no such file or directory".
    std::string why = std::strerror(errno);
    if (!why.empty()) why[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(why[0])));
    fail("exec {}: {}", exe, why);
}

}  // namespace myrt::runtime
