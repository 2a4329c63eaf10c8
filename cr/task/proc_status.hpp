#pragma once
// Parsers for the /proc files a task dump reads: status, stat, limits, auxv,
// and the cwd/root/exe links.
#include <sys/types.h>

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "cr/task/task_state.hpp"

namespace myrt::cr {

// "Key:\tvalue" lines of /proc/PID/status (or /proc/PID/task/TID/status).
std::map<std::string, std::string> read_status(const std::string& path);
// Whitespace-separated integers of a status value ("0\t0\t0\t0").
std::vector<int64_t> status_numbers(const std::map<std::string, std::string>& st, const std::string& key, int base = 10);

struct StatFields {
    int32_t ppid = 0, pgid = 0, sid = 0;
    MmRecord mm{};  // brk is not in /proc/PID/stat (read it with brk(0))
};
StatFields parse_stat(const std::string& text);

std::array<RlimitRecord, kNumRlimits> parse_limits(const std::string& text);
std::vector<uint64_t> parse_auxv(const std::string& bytes);
std::string read_link(const std::string& path);

}  // namespace myrt::cr
