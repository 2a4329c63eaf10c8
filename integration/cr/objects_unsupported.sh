#!/bin/bash
# Objects myrt does not checkpoint: the checkpoint fails naming the object,
# the fd and the pid, and the container keeps running untraced.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
source "$(dirname "$0")/objects_lib.sh"
require_root

objects_refused io_uring "io_uring" || fail "io_uring cannot be created in a container here"
objects_refused userfaultfd "userfaultfd" || fail "userfaultfd cannot be created in a container here"
objects_refused fanotify "fanotify" || log "fanotify skipped (cannot be created in the container)"
objects_refused perf_event "perf_event" || log "perf_event skipped (cannot be created in the container)"
objects_refused inotify_pending "events not yet read" || fail "inotify cannot be created in a container here"
objects_refused epoll_closed "the task has closed" || fail "epoll cannot be created in a container here"
objects_refused memfd_closed "holds no fd of it" || fail "memfd cannot be created in a container here"
