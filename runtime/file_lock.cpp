#include "runtime/file_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>

#include "util/error.hpp"

namespace myrt::runtime {

FileLock::FileLock(const std::string& path) {
    fd_.reset(check(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600), "open lock file {}", path));
    while (::flock(fd_.get(), LOCK_EX) != 0) {
        if (errno != EINTR) throw_errno("lock {}", path);
    }
}

}  // namespace myrt::runtime
