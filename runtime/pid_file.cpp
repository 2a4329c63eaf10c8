#include "runtime/pid_file.hpp"

#include "runtime/fs_util.hpp"

namespace myrt::runtime {
void write_pid_file(const std::string& path, pid_t pid) {
    write_file_atomic(absolute_path(path), std::to_string(pid), 0644);
}
}  // namespace myrt::runtime
