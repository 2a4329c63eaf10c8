#include "util/log.hpp"

#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "util/error.hpp"

namespace myrt::log {
namespace {
int g_fd = -1;
Format g_format = Format::text;
Level g_min = Level::info;
bool g_warnings_to_stderr = true;

const char* name(Level l) {
    switch (l) {
        case Level::debug: return "debug";
        case Level::info: return "info";
        case Level::warning: return "warning";
        case Level::error: return "error";
    }
    return "info";
}

void write_all(int fd, const std::string& s) {
    size_t off = 0;
    while (off < s.size()) {
        ssize_t n = ::write(fd, s.data() + off, s.size() - off);
        if (n <= 0) return;  // logging must never fail the command
        off += static_cast<size_t>(n);
    }
}
}  // namespace

void configure(const std::string& path, Format format, Level min_level) {
    g_format = format;
    g_min = min_level;
    if (!path.empty()) {
        int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0) throw_errno("--log {}: cannot open the log file", path);
        if (g_fd >= 0) ::close(g_fd);
        g_fd = fd;
    }
}

std::string rfc3339_now(bool nanos) {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    tm t{};
    gmtime_r(&ts.tv_sec, &t);
    char buf[64];
    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &t);
    if (nanos) return fmt::format("{}.{:09}Z", buf, ts.tv_nsec);
    return fmt::format("{}Z", buf);
}

void write(Level level, std::string_view msg) {
    if (level < g_min && level != Level::error) return;
    std::string line;
    if (g_format == Format::json) {
        nlohmann::json j{{"level", name(level)}, {"msg", std::string(msg)}, {"time", rfc3339_now(false)}};
        line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    } else {
        line = fmt::format("time=\"{}\" level={} msg=\"{}\"\n", rfc3339_now(false), name(level), msg);
    }
    if (g_fd >= 0) write_all(g_fd, line);
    // Errors always reach stderr as plain text, whatever the log format:
    // conmon and people read stderr, containerd reads the log file.
    if (level == Level::error) write_all(2, fmt::format("myrt: {}\n", msg));
    // Without a --log file, the log is stderr (runc's default): warnings always, the rest with --debug.
    else if (g_fd < 0 && level >= g_min && (g_min == Level::debug || (level == Level::warning && g_warnings_to_stderr)))
        write_all(2, line);
}

void keep_warnings_off_stderr() { g_warnings_to_stderr = false; }

}  // namespace myrt::log
