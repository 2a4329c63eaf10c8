#pragma once
// Test scaffolding: a pid namespace to run workloads in, the shared progress
// page, and waiting with a deadline.
#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>

#include "progress.h"
#include "util/fd.hpp"

namespace myrt::cr::test {

// A pid namespace kept alive by a reaper as its pid 1; torn down on destruction.
class PidNamespace {
public:
    PidNamespace();
    ~PidNamespace();
    int fd() const { return nsfd_.get(); }
    pid_t init_pid() const { return init_; }

private:
    pid_t holder_ = -1;  // parent of the namespace's init, outside it
    pid_t init_ = -1;
    UniqueFd nsfd_;
};

// A 4 KiB file mapped shared; the workload maps the same file.
class ProgressFile {
public:
    ProgressFile();
    ~ProgressFile();
    const std::string& path() const { return path_; }
    progress* operator->() const { return static_cast<progress*>(map_.data()); }
    progress& get() const { return *static_cast<progress*>(map_.data()); }

private:
    std::string path_;
    Mapping map_;
};

bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout = std::chrono::seconds(10));

// Runs the counter workload with pid `ns_pid` inside `ns`; returns its pid as
// seen here, after it reported ready.
// `mode`: "plain", "secure" or "tree" (see workloads/counter.c).
pid_t start_counter(PidNamespace& ns, pid_t ns_pid, ProgressFile& progress, int mib, int threads = 0,
                    const char* mode = "plain");
// Starts the counter workload as a plain child (no namespace).
pid_t start_counter_child(ProgressFile& progress, int mib, int threads = 0);

// Kills and reaps a child of this process.
void kill_and_reap(pid_t pid);
// Sends a command through the progress page and waits for it to complete.
bool run_command(ProgressFile& progress, uint32_t cmd);

}  // namespace myrt::cr::test
