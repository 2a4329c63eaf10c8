#pragma once
// dump.log / restore.log in the work directory: what the driver did, with
// timestamps, for the caller to read after success or failure (CRIU's log
// plays that role for runc's callers).
#include <chrono>
#include <string>

namespace myrt::cr {

class WorkLog {
public:
    WorkLog(std::string dir, std::string name);
    void line(const std::string& text);
    void flush();                    // writes the file (atomically); throws on failure
    void flush_noexcept() noexcept;  // on the failure path: a log that cannot be written is only warned about

private:
    std::string dir_, name_, text_;
    std::chrono::steady_clock::time_point start_;
};

}  // namespace myrt::cr
