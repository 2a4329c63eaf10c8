#!/bin/bash
# fileswork epoll (workloads/fileswork.c) in a container: registrations whose fd
# numbers were closed or reused come back; the fds are compared from outside
# and the workload checks its own state.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
source "$(dirname "$0")/files_lib.sh"
require_root

files_roundtrip epoll
