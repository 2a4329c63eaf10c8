#pragma once
// Registers every fd kind beyond plain files and pipes (cr/files/fd_kind_ops.hpp)
// once per process. The drivers call it before they scan a task's fds.
namespace myrt::cr::driver {
void register_fd_kinds();
}
