#pragma once
// POSIX message queue descriptors (mqd_t is an fd on the mqueue filesystem)
// as an fd kind of cr/files: the queue itself is in the IPC section; a
// descriptor records only the queue's name and is reopened by name, inside
// the container's IPC namespace, with its access mode and O_NONBLOCK.
#include <memory>

#include "cr/files/fd_kind_ops.hpp"

namespace myrt::cr::ipc {

std::unique_ptr<files::FdKindOps> make_mqueue_fd_kind();

}  // namespace myrt::cr::ipc
