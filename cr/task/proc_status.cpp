#include "cr/task/proc_status.hpp"

#include <unistd.h>

#include <cstring>
#include <sstream>

#include "cr/ptrace/proc_scan.hpp"
#include "util/error.hpp"

namespace myrt::cr {

std::map<std::string, std::string> read_status(const std::string& path) {
    std::map<std::string, std::string> out;
    std::istringstream in(read_proc_file(path));
    std::string line;
    while (std::getline(in, line)) {
        auto colon = line.find(':');
        if (colon == std::string::npos) continue;
        auto v = line.find_first_not_of(" \t", colon + 1);
        out[line.substr(0, colon)] = v == std::string::npos ? "" : line.substr(v);
    }
    return out;
}

std::vector<int64_t> status_numbers(const std::map<std::string, std::string>& st, const std::string& key, int base) {
    auto it = st.find(key);
    if (it == st.end()) fail("/proc status has no {} line", key);
    std::vector<int64_t> out;
    std::istringstream in(it->second);
    std::string tok;
    while (in >> tok) out.push_back(static_cast<int64_t>(std::stoull(tok, nullptr, base)));
    return out;
}

StatFields parse_stat(const std::string& text) {
    // comm may hold spaces and parentheses: fields resume after the last ')'.
    auto close = text.rfind(')');
    if (close == std::string::npos) fail("malformed /proc stat line: {}", text.substr(0, 80));
    std::istringstream in(text.substr(close + 2));
    std::vector<std::string> f;  // f[0] is field 3 (state)
    std::string tok;
    while (in >> tok) f.push_back(tok);
    if (f.size() < 49) fail("/proc stat has {} fields after comm, expected at least 49", f.size());
    auto at = [&](int field) { return std::stoull(f[static_cast<size_t>(field - 3)]); };
    StatFields s;
    s.ppid = static_cast<int32_t>(at(4));
    s.pgid = static_cast<int32_t>(at(5));
    s.sid = static_cast<int32_t>(at(6));
    s.mm.start_code = at(26);
    s.mm.end_code = at(27);
    s.mm.start_stack = at(28);
    s.mm.start_data = at(45);
    s.mm.end_data = at(46);
    s.mm.start_brk = at(47);
    s.mm.arg_start = at(48);
    s.mm.arg_end = at(49);
    s.mm.env_start = at(50);
    s.mm.env_end = at(51);
    return s;
}

std::array<RlimitRecord, kNumRlimits> parse_limits(const std::string& text) {
    // Rows are in RLIMIT_* order; columns are fixed-width: name (26), soft, hard.
    std::array<RlimitRecord, kNumRlimits> out{};
    std::istringstream in(text);
    std::string line;
    std::getline(in, line);  // header
    int i = 0;
    while (std::getline(in, line) && i < kNumRlimits) {
        if (line.size() < 26) fail("malformed limits line: {}", line);
        std::istringstream cols(line.substr(25));
        std::string soft, hard;
        cols >> soft >> hard;
        auto value = [&](const std::string& s) {
            return s == "unlimited" ? ~uint64_t{0} : static_cast<uint64_t>(std::stoull(s));
        };
        out[static_cast<size_t>(i)] = {value(soft), value(hard)};
        ++i;
    }
    if (i != kNumRlimits) fail("/proc limits lists {} limits, expected {}", i, kNumRlimits);
    return out;
}

std::vector<uint64_t> parse_auxv(const std::string& bytes) {
    std::vector<uint64_t> out(bytes.size() / 8);
    std::memcpy(out.data(), bytes.data(), out.size() * 8);
    for (size_t i = 0; i + 1 < out.size(); i += 2)
        if (out[i] == 0) {
            out.resize(i + 2);
            break;
        }
    return out;
}

std::string read_link(const std::string& path) {
    char buf[4096];
    ssize_t n = ::readlink(path.c_str(), buf, sizeof buf);
    if (n < 0) throw_errno("readlink {}", path);
    return std::string(buf, static_cast<size_t>(n));
}

}  // namespace myrt::cr
