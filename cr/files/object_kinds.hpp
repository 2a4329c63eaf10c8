#pragma once
// The kernel objects myrt checkpoints as fd kinds (cr/files/kind_*.cpp, one
// file each): registered by cr/driver/fd_kinds_all.cpp.
#include "cr/files/fd_kind_ops.hpp"

#include <memory>

namespace myrt::cr::files {

std::unique_ptr<FdKindOps> make_eventfd_kind();
std::unique_ptr<FdKindOps> make_epoll_kind();
std::unique_ptr<FdKindOps> make_signalfd_kind();
std::unique_ptr<FdKindOps> make_timerfd_kind();
std::unique_ptr<FdKindOps> make_inotify_kind();
std::unique_ptr<FdKindOps> make_memfd_kind();
std::unique_ptr<FdKindOps> make_pidfd_kind();

}  // namespace myrt::cr::files
