#include "cr/driver/work_log.hpp"

#include <fmt/format.h>

#include "cr/driver/criu_files.hpp"
#include "util/log.hpp"

namespace myrt::cr {

WorkLog::WorkLog(std::string dir, std::string name)
    : dir_(std::move(dir)), name_(std::move(name)), start_(std::chrono::steady_clock::now()) {}

void WorkLog::line(const std::string& text) {
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    text_ += fmt::format("({:9.6f}) {}\n", s, text);
    log::debug("{}", text);
}

void WorkLog::flush() { driver::write_file_atomic(dir_, name_, text_); }

void WorkLog::flush_noexcept() noexcept {
    try {
        flush();
    } catch (const std::exception& e) {
        log::warn("could not write {}/{}: {}", dir_, name_, e.what());
    }
}

}  // namespace myrt::cr
