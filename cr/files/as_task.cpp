#include "cr/files/as_task.hpp"

#include "util/error.hpp"

#include <fmt/ranges.h>

#include <linux/capability.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <utility>

namespace myrt::cr::files {

std::string TaskCredentials::describe() const {
    return fmt::format("uid {} gid {} groups [{}] effective capabilities {:#x}", uid[3], gid[3], fmt::join(groups, " "),
                       cap_effective);
}

void take_on_credentials(const TaskCredentials& c, uint64_t extra_caps) {
    // Every call is the raw syscall: these act on the calling thread alone.
    check(static_cast<int>(::syscall(SYS_prctl, PR_SET_KEEPCAPS, 1, 0, 0, 0)), "prctl(PR_SET_KEEPCAPS) in a credentials thread");
    check(static_cast<int>(::syscall(SYS_setgroups, c.groups.size(), c.groups.data())), "setgroups to {}", c.describe());
    check(static_cast<int>(::syscall(SYS_setresgid, c.gid[0], c.gid[1], c.gid[2])), "setresgid to {}", c.describe());
    check(static_cast<int>(::syscall(SYS_setresuid, c.uid[0], c.uid[1], c.uid[2])), "setresuid to {}", c.describe());
    ::syscall(SYS_setfsgid, c.gid[3]);
    ::syscall(SYS_setfsuid, c.uid[3]);
    if (static_cast<uint32_t>(::syscall(SYS_setfsuid, -1)) != c.uid[3] ||
        static_cast<uint32_t>(::syscall(SYS_setfsgid, -1)) != c.gid[3])
        fail("setfsuid/setfsgid to {} did not take", c.describe());
    // Last: the uid change and setfsuid cleared capabilities the task may keep.
    __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2]{};
    const uint64_t eff = c.cap_effective | extra_caps, perm = c.cap_permitted | c.cap_effective | extra_caps;
    for (int i = 0; i < 2; ++i) {
        data[i].effective = static_cast<__u32>(eff >> (32 * i));
        data[i].permitted = static_cast<__u32>(perm >> (32 * i));
    }
    check(static_cast<int>(::syscall(SYS_capset, &hdr, data)), "capset to {}", c.describe());
}

AsTask::AsTask(TaskCredentials creds) : creds_(std::move(creds)) {
    std::exception_ptr start_error;
    bool started = false;
    thread_ = std::thread([this, &start_error, &started] {
        try {
            // Its own cwd and root: a check may chdir without moving the restorer's.
            check(::unshare(CLONE_FS), "unshare(CLONE_FS) in a credentials thread");
            take_on_credentials(creds_);
        } catch (...) {
            start_error = std::current_exception();
        }
        {
            std::lock_guard lock(mu_);
            started = true;
            if (start_error) stop_ = true;
        }
        cv_.notify_all();
        if (!start_error) loop();
    });
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return started; });
    if (start_error) {
        lock.unlock();
        thread_.join();
        std::rethrow_exception(start_error);
    }
}

AsTask::~AsTask() {
    {
        std::lock_guard lock(mu_);
        stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void AsTask::loop() {
    std::unique_lock lock(mu_);
    for (;;) {
        cv_.wait(lock, [&] { return stop_ || job_; });
        if (!job_) return;
        const auto* job = job_;
        lock.unlock();
        std::exception_ptr err;
        try {
            (*job)();
        } catch (...) {
            err = std::current_exception();
        }
        lock.lock();
        error_ = err;
        job_ = nullptr;
        done_ = true;
        cv_.notify_all();
    }
}

void AsTask::run(const std::function<void()>& fn) {
    std::unique_lock lock(mu_);
    job_ = &fn;
    done_ = false;
    cv_.notify_all();
    cv_.wait(lock, [&] { return done_; });
    done_ = false;
    if (auto err = std::exchange(error_, nullptr)) std::rethrow_exception(err);
}

}  // namespace myrt::cr::files
