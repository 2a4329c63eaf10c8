#pragma once
// Shared helpers: a unique test parent per test (removed afterwards), child processes that
// do known things, and readers for /proc.
#include <sys/types.h>

#include <functional>
#include <map>
#include <string>

#include <gtest/gtest.h>

#include "runtime/cgroup/cgroup.hpp"

namespace myrt::cgroup::testing {

// A cgroup under /myrt-test-<pid>-<n>; TearDown kills what is left and removes the parent.
class CgroupTest : public ::testing::Test {
protected:
    void SetUp() override;
    void TearDown() override;
    Cgroup make(const std::string& id);  // another cgroup under the same parent, cleaned up too
    // A view of the same test cgroup as a pure v2 host would give (unified hierarchy only).
    Cgroup v2_view(const std::string& id);

    std::string parent_;
    std::vector<Cgroup> cleanup_;
    std::vector<pid_t> children_;
    Cgroup cg_;
};

pid_t spawn_busy();   // spins on the CPU until killed
pid_t spawn_sleeper();  // pauses until killed
pid_t track(std::vector<pid_t>& list, pid_t pid);
int reap(pid_t pid);  // waitpid, returns the raw status
uint64_t cpu_ticks(pid_t pid);  // utime + stime from /proc/PID/stat
char proc_state(pid_t pid);     // the state letter in /proc/PID/stat
std::map<std::string, std::string> proc_cgroup(pid_t pid);  // controller -> path ("" for v2)
std::string read_file(const std::string& path);
// Runs fn in a forked child; returns "" on success or the child's failure message.
std::string in_child(const std::function<void()>& fn);

}  // namespace myrt::cgroup::testing
