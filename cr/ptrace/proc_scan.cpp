#include "cr/ptrace/proc_scan.hpp"

#include <dirent.h>
#include <fcntl.h>

#include <algorithm>
#include <cstdlib>
#include <sstream>

#include "util/error.hpp"
#include "util/fd.hpp"

namespace myrt::cr {

std::string read_proc_file(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) throw_errno("cannot open {}", path);
    std::string out;
    char buf[65536];
    for (;;) {
        ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw_errno("cannot read {}", path);
        }
        if (n == 0) break;
        out.append(buf, static_cast<size_t>(n));
    }
    return out;
}

std::vector<pid_t> list_threads(pid_t pid) {
    std::vector<pid_t> tids;
    std::string dir = fmt::format("/proc/{}/task", pid);
    DIR* d = ::opendir(dir.c_str());
    if (!d) return tids;
    while (dirent* e = ::readdir(d)) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
        tids.push_back(static_cast<pid_t>(std::atoi(e->d_name)));
    }
    ::closedir(d);
    std::sort(tids.begin(), tids.end());
    return tids;
}

std::vector<pid_t> list_children(pid_t pid) {
    std::vector<pid_t> kids;
    for (pid_t tid : list_threads(pid)) {
        std::string text;
        try {
            text = read_proc_file(fmt::format("/proc/{}/task/{}/children", pid, tid));
        } catch (const SystemError&) {
            continue;  // the thread exited while we looked
        }
        std::istringstream in(text);
        pid_t c;
        while (in >> c) kids.push_back(c);
    }
    std::sort(kids.begin(), kids.end());
    kids.erase(std::unique(kids.begin(), kids.end()), kids.end());
    return kids;
}

char task_state_letter(pid_t tid) {
    std::string text;
    try {
        text = read_proc_file(fmt::format("/proc/{}/status", tid));
    } catch (const SystemError&) {
        return 0;
    }
    auto at = text.find("\nState:");
    if (at == std::string::npos) return 0;
    at += 7;
    while (at < text.size() && (text[at] == ' ' || text[at] == '\t')) ++at;
    return at < text.size() ? text[at] : 0;
}

}  // namespace myrt::cr
