#!/bin/bash
# Threads blocked in nanosleep, clock_nanosleep, read, futex, wait4, poll,
# epoll_wait and sigtimedwait: neither a restore nor a --leave-running
# checkpoint after it (the live tasks are interrupted and detached) makes any
# of them fail with EINTR or return early (workloads/taskwork.c). (The other
# order is not covered: a timed wait that a --leave-running checkpoint left
# in restart_syscall gets EINTR when it is dumped again, docs/cr-process.md.)
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
cr_checkpoint "$ID" "$TEST_TMP/live" --leave-running || fail "checkpoint --leave-running: $(cat "$TEST_TMP/ckpt.err")"
pass "checkpointed again with --leave-running"
cr_verify "$ID" "$B.shared"
pass "every blocked syscall returned what it should, without EINTR"
