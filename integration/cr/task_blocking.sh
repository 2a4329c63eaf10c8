#!/bin/bash
# Threads blocked in nanosleep, clock_nanosleep, read, futex, wait4, poll and epoll_wait are restarted after restore: no EINTR, no early wake-up (workloads/taskwork.c).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
require_root

B=$TEST_TMP/bundle
cr_bundle_bin "$B" "${CR_TASK_WORKLOAD:-}" blocking
new_id ID
run_detached "$ID" "$B"
wait_file "$B.shared/ready" 20
cr_roundtrip "$ID" "$B"
pass "checkpointed and restored"
cr_verify "$ID" "$B.shared"
pass "every blocked syscall returned what it should, without EINTR"
