#pragma once
// Doing file-system work for a restored task with the task's own credentials.
// The image is untrusted: an fd, a mapping, a watch or a socket the restore
// creates for a task must pass the permission checks the task itself would
// face. Credentials are per thread in the kernel, so a dedicated thread of the
// restorer takes on the task's uids, gids, groups and capabilities (raw
// syscalls: glibc's wrappers would change every thread) and runs the opens,
// binds and connects; the fds it gets are the restorer's, as any other.
#include <sys/types.h>

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace myrt::cr::files {

struct TaskCredentials {
    uint32_t uid[4]{};  // real, effective, saved, filesystem (host ids)
    uint32_t gid[4]{};
    std::vector<uint32_t> groups;
    uint64_t cap_effective = 0;
    uint64_t cap_permitted = 0;
    bool operator==(const TaskCredentials&) const = default;
    // "uid 1000 gid 1000 groups [] caps 0x0", for messages.
    std::string describe() const;
};

// Switches the calling thread (only it) to `c`; `extra_caps` stay effective
// on top of the task's own (the socket restore keeps CAP_NET_ADMIN for
// SO_SNDBUFFORCE while queues are refilled). Throws naming the step.
void take_on_credentials(const TaskCredentials& c, uint64_t extra_caps = 0);

// A thread with the task's credentials that runs work on request.
class AsTask {
public:
    explicit AsTask(TaskCredentials creds);
    ~AsTask();
    AsTask(const AsTask&) = delete;
    AsTask& operator=(const AsTask&) = delete;

    // Runs `fn` on the thread and waits; an exception `fn` throws is rethrown here.
    void run(const std::function<void()>& fn);
    const TaskCredentials& credentials() const { return creds_; }

private:
    void loop();
    TaskCredentials creds_;
    std::mutex mu_;
    std::condition_variable cv_;
    const std::function<void()>* job_ = nullptr;
    bool done_ = false, stop_ = false;
    std::exception_ptr error_;
    std::thread thread_;
};

}  // namespace myrt::cr::files
