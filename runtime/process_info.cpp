#include "runtime/process_info.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "runtime/fs_util.hpp"

namespace myrt::runtime {

std::optional<ProcStat> read_proc_stat(pid_t pid) {
    std::string s;
    try {
        s = read_file("/proc/" + std::to_string(pid) + "/stat");
    } catch (...) {
        return std::nullopt;
    }
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

bool process_is_alive(pid_t pid, unsigned long long start_time) {
    if (pid <= 0) return false;
    auto st = read_proc_stat(pid);
    if (!st) return false;
    if (st->state == 'Z' || st->state == 'X') return false;
    return start_time == 0 || st->start_time == start_time;
}

}  // namespace myrt::runtime
