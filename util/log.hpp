#pragma once
// Logging as runc does it: text or JSON lines ({"level","msg","time"}) to the
// --log file, or to stderr without one; errors always mirrored to stderr as plain
// text (conmon forwards stderr).
#include <fmt/format.h>

#include <string>
#include <string_view>

namespace myrt::log {

enum class Level { debug, info, warning, error };
enum class Format { text, json };

// Opens the --log file (append); an empty path logs to stderr only.
void configure(const std::string& path, Format format, Level min_level);
void write(Level level, std::string_view msg);
// For the container's own processes after the fork: their stderr is, or becomes, the
// container's, so their warnings go only to the --log file (errors still reach stderr,
// and the runtime's parent side reports them).
void keep_warnings_off_stderr();

// Current time as RFC 3339 with nanoseconds (the form runc writes in state).
std::string rfc3339_now(bool nanos = true);

template <class... A> void debug(fmt::format_string<A...> f, A&&... a) { write(Level::debug, fmt::format(f, std::forward<A>(a)...)); }
template <class... A> void info(fmt::format_string<A...> f, A&&... a) { write(Level::info, fmt::format(f, std::forward<A>(a)...)); }
template <class... A> void warn(fmt::format_string<A...> f, A&&... a) { write(Level::warning, fmt::format(f, std::forward<A>(a)...)); }
template <class... A> void error(fmt::format_string<A...> f, A&&... a) { write(Level::error, fmt::format(f, std::forward<A>(a)...)); }

}  // namespace myrt::log
