#pragma once
// Runs work inside the container's namespaces from the checkpointer or the
// restorer: a socket is born in the network namespace of the thread that
// creates it (abstract names and sock_diag are per network namespace), and a
// path given to bind or connect is looked up in the caller's root. A fresh
// thread unshares its fs context and joins the container init's namespaces;
// fds it opens are the process's own, so nothing has to be passed back.
#include "cr/files/as_task.hpp"

#include <sys/types.h>

#include <functional>

namespace myrt::cr::net {

// `fn` runs on a new thread in the network namespace of `pid` and, when
// `with_mounts`, its mount namespace (root and cwd at that namespace's root).
// An exception thrown by `fn` is rethrown in the caller. With `creds`, the
// thread takes them on once it has joined (files::take_on_credentials, with
// `extra_caps` on top), so `fn` binds and connects as the task would.
void run_in_container_ns(pid_t pid, bool with_mounts, const std::function<void()>& fn,
                         const files::TaskCredentials* creds = nullptr, uint64_t extra_caps = 0);

}  // namespace myrt::cr::net
