#include "runtime/cgroup/tests/cgroup_test_util.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "runtime/cgroup/cgroupfs.hpp"
#include "runtime/cgroup/hierarchies.hpp"
#include "util/error.hpp"

namespace myrt::cgroup::testing {

namespace {
int counter = 0;
}

void CgroupTest::SetUp() {
    parent_ = fmt::format("/myrt-test-{}-{}", ::getpid(), counter++);
    cg_ = make("ctr");
}

Cgroup CgroupTest::make(const std::string& id) {
    auto cg = Cgroup::for_container("", id, parent_);
    cleanup_.push_back(cg);
    return cg;
}

Cgroup CgroupTest::v2_view(const std::string& id) {
    auto j = make(id).to_json();
    j["layout"] = "v2";
    j["v1"] = nlohmann::json::array();
    auto cg = Cgroup::from_json(j);
    cleanup_.push_back(cg);
    return cg;
}

void CgroupTest::TearDown() {
    for (pid_t pid : children_) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
    }
    for (auto& cg : cleanup_) {
        try {
            if (cg.uses_v1_freezer() || !cg.unified_dir().empty()) cg.thaw();
        } catch (...) {
        }
        try {
            cg.destroy();
        } catch (const std::exception& e) {
            ADD_FAILURE() << "cleanup: " << e.what();
        }
    }
    // The parent may stay busy for a moment after the last task left (as destroy() knows).
    for (auto& m : mounted_hierarchies()) {
        std::string dir = fs::join(m.mount_point, parent_);
        for (int i = 0; i < 50 && ::rmdir(dir.c_str()) < 0 && errno == EBUSY; ++i) ::usleep(10000);
        if (fs::dir_exists(dir)) ADD_FAILURE() << "test parent " << dir << " left behind";
    }
}

pid_t spawn_busy() {
    pid_t pid = ::fork();
    if (pid == 0) {
        volatile unsigned long n = 0;  // volatile: the loop must not be optimized away
        for (;;) n = n + 1;
    }
    return pid;
}

pid_t spawn_sleeper() {
    pid_t pid = ::fork();
    if (pid == 0) {
        for (;;) ::pause();
    }
    return pid;
}

pid_t track(std::vector<pid_t>& list, pid_t pid) {
    if (pid < 0) throw_errno("fork");
    list.push_back(pid);
    return pid;
}

int reap(pid_t pid) {
    int status = 0;
    if (::waitpid(pid, &status, 0) < 0) throw_errno("waitpid {}", pid);
    return status;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw_errno("open {}", path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

static std::vector<std::string> stat_fields(pid_t pid) {
    std::string s = read_file(fmt::format("/proc/{}/stat", pid));
    auto close = s.rfind(')');
    std::istringstream rest(s.substr(close + 2));
    std::vector<std::string> out;
    for (std::string f; rest >> f;) out.push_back(f);
    return out;  // out[0] is field 3 (state)
}

uint64_t cpu_ticks(pid_t pid) {
    auto f = stat_fields(pid);
    return std::stoull(f[11]) + std::stoull(f[12]);  // fields 14 and 15
}

char proc_state(pid_t pid) { return stat_fields(pid)[0][0]; }

std::map<std::string, std::string> proc_cgroup(pid_t pid) {
    return process_cgroups(fmt::format("/proc/{}/cgroup", pid));
}

std::string in_child(const std::function<void()>& fn) {
    int fds[2];
    if (::pipe(fds) < 0) throw_errno("pipe");
    pid_t pid = ::fork();
    if (pid < 0) throw_errno("fork");
    if (pid == 0) {
        ::close(fds[0]);
        std::string msg;
        try {
            fn();
        } catch (const std::exception& e) {
            msg = e.what();
        }
        if (!msg.empty()) (void)!::write(fds[1], msg.data(), msg.size());
        ::_exit(msg.empty() ? 0 : 1);
    }
    ::close(fds[1]);
    std::string msg;
    char buf[512];
    for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) msg.append(buf, static_cast<size_t>(n));
    ::close(fds[0]);
    int status = reap(pid);
    if (msg.empty() && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) msg = fmt::format("child ended with status {:#x}", status);
    return msg;
}

}  // namespace myrt::cgroup::testing
