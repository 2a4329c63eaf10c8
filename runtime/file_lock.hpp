#pragma once
// An exclusive flock on a file, held for the object's lifetime: commands on one
// container serialize, commands on different containers run in parallel.
#include <string>

#include "util/fd.hpp"

namespace myrt::runtime {

class FileLock {
public:
    explicit FileLock(const std::string& path);
    FileLock(FileLock&&) = default;
    FileLock& operator=(FileLock&&) = default;

    // In a forked child: drop our copy of the descriptor. flock belongs to the
    // open file description, so a child keeping it would hold the lock until exec.
    void forget_in_child() { fd_.reset(); }

private:
    UniqueFd fd_;
};

}  // namespace myrt::runtime
