#pragma once
// One error type for the whole project (exception-based, used consistently):
// every failure is a myrt::Error whose message reads as a sentence naming the
// path or value that failed; SystemError adds the errno that caused it.
#include <cerrno>
#include <fmt/format.h>
#include <stdexcept>
#include <string>
#include <system_error>

namespace myrt {

class Error : public std::runtime_error {
public:
    explicit Error(const std::string& msg) : std::runtime_error(msg) {}
};

class SystemError : public Error {
public:
    SystemError(int err, const std::string& what)
        : Error(what + ": " + std::generic_category().message(err)), errno_(err) {}
    int code() const noexcept { return errno_; }

private:
    int errno_;
};

// Throws SystemError with the current errno: `throw_errno("open {}", path)`.
template <class... Args>
[[noreturn]] void throw_errno(fmt::format_string<Args...> f, Args&&... args) {
    int e = errno;
    throw SystemError(e, fmt::format(f, std::forward<Args>(args)...));
}

template <class... Args>
[[noreturn]] void fail(fmt::format_string<Args...> f, Args&&... args) {
    throw Error(fmt::format(f, std::forward<Args>(args)...));
}

// Checks a syscall-style return value (-1 means failure, errno set).
template <class T, class... Args>
T check(T rc, fmt::format_string<Args...> f, Args&&... args) {
    if (rc == static_cast<T>(-1)) {
        int e = errno;
        throw SystemError(e, fmt::format(f, std::forward<Args>(args)...));
    }
    return rc;
}

}  // namespace myrt
