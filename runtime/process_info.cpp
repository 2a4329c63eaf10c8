#include "runtime/process_info.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <set>

#include "util/fd.hpp"

namespace myrt::runtime {

std::optional<ProcStat> read_proc_stat(pid_t pid) {
    // A process that is gone is the usual answer here (every delete asks):
    // no exception for it, the first throw in a process costs a lot.
    std::string path = "/proc/" + std::to_string(pid) + "/stat";
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return std::nullopt;
    char buf[1024];
    ssize_t n = ::read(fd.get(), buf, sizeof buf - 1);
    if (n <= 0) return std::nullopt;
    std::string s(buf, static_cast<size_t>(n));
    // comm may contain spaces and parentheses: fields start after the last ')'.
    auto close = s.rfind(')');
    if (close == std::string::npos || close + 2 >= s.size()) return std::nullopt;
    const char* p = s.c_str() + close + 2;
    ProcStat st;
    st.state = *p;
    int field = 3;
    const char* q = p;
    while (*q && field < 22) {
        q = std::strchr(q, ' ');
        if (!q) return std::nullopt;
        ++q;
        ++field;
        if (field == 4) st.ppid = static_cast<pid_t>(std::strtol(q, nullptr, 10));
    }
    if (field != 22) return std::nullopt;
    st.start_time = std::strtoull(q, nullptr, 10);
    return st;
}

namespace {
// A leader that called pthread_exit is a zombie while its other threads run:
// the process lives on.
pid_t live_thread(pid_t pid) {
    std::string task_dir = "/proc/" + std::to_string(pid) + "/task";
    DIR* d = ::opendir(task_dir.c_str());
    if (!d) return 0;
    pid_t live = 0;
    while (dirent* e = ::readdir(d)) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
        pid_t tid = static_cast<pid_t>(std::strtol(e->d_name, nullptr, 10));
        if (tid == pid) continue;
        std::ifstream in(task_dir + "/" + e->d_name + "/stat");
        std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        auto close = s.rfind(')');
        if (close != std::string::npos && close + 2 < s.size() && s[close + 2] != 'Z' && s[close + 2] != 'X') {
            live = tid;
            break;
        }
    }
    ::closedir(d);
    return live;
}
}  // namespace

bool process_is_alive(pid_t pid, unsigned long long start_time) {
    if (pid <= 0) return false;
    auto st = read_proc_stat(pid);
    if (!st) return false;
    if (st->state == 'X') return false;
    if (st->state == 'Z' && !live_thread(pid)) return false;
    return start_time == 0 || st->start_time == start_time;
}

pid_t live_task_of(pid_t pid) {
    auto st = read_proc_stat(pid);
    if (!st || st->state != 'Z') return pid;
    pid_t t = live_thread(pid);
    return t ? t : pid;
}

namespace {
std::vector<pid_t> children_of(pid_t pid) {
    std::vector<pid_t> kids;
    std::string task_dir = "/proc/" + std::to_string(pid) + "/task";
    DIR* d = ::opendir(task_dir.c_str());
    if (!d) return kids;  // it exited
    while (dirent* e = ::readdir(d)) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
        std::ifstream in(task_dir + "/" + e->d_name + "/children");
        pid_t c;
        while (in >> c) kids.push_back(c);
    }
    ::closedir(d);
    return kids;
}
}  // namespace

std::vector<pid_t> process_and_descendants(pid_t root) {
    std::vector<pid_t> out{root};
    std::set<pid_t> seen{root};
    for (size_t i = 0; i < out.size(); ++i)
        for (pid_t c : children_of(out[i]))
            if (seen.insert(c).second) out.push_back(c);
    return out;
}

}  // namespace myrt::runtime
