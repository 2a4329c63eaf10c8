#include "cr/net/in_container_ns.hpp"

#include "util/error.hpp"
#include "util/fd.hpp"

#include <fcntl.h>
#include <sched.h>

#include <exception>
#include <thread>

namespace myrt::cr::net {

namespace {

UniqueFd open_ns(pid_t pid, const char* which) {
    std::string path = fmt::format("/proc/{}/ns/{}", pid, which);
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) throw_errno("open {} (the container's {} namespace)", path, which);
    return fd;
}

}  // namespace

void run_in_container_ns(pid_t pid, bool with_mounts, const std::function<void()>& fn, const files::TaskCredentials* creds,
                         uint64_t extra_caps) {
    // Opened here, so a vanished container fails before the thread starts.
    UniqueFd net = open_ns(pid, "net");
    UniqueFd mnt = with_mounts ? open_ns(pid, "mnt") : UniqueFd();
    std::exception_ptr error;
    std::thread worker([&] {
        try {
            // setns(CLONE_NEWNS) refuses a thread sharing its fs context with others.
            if (with_mounts) check(::unshare(CLONE_FS), "unshare(CLONE_FS) before joining the mount namespace of pid {}", pid);
            check(::setns(net.get(), CLONE_NEWNET), "joining the network namespace of pid {}", pid);
            if (with_mounts) check(::setns(mnt.get(), CLONE_NEWNS), "joining the mount namespace of pid {}", pid);
            if (creds) files::take_on_credentials(*creds, extra_caps);
            fn();
        } catch (...) {
            error = std::current_exception();
        }
    });
    worker.join();
    if (error) std::rethrow_exception(error);
}

}  // namespace myrt::cr::net
