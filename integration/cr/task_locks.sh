#!/bin/bash
# File locks (flock, POSIX record locks, an OFD lock) survive checkpoint and
# restore with --file-locks; without it the checkpoint fails naming the lock,
# the file, the fd and the pid, and the container keeps running.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
require_root

B=$TEST_TMP/bundle
cr_bundle_bin "$B" "${CR_TASK_WORKLOAD:-}" locks
new_id ID
run_detached "$ID" "$B"
wait_file "$B.shared/ready" 20

if cr_checkpoint "$ID" "$TEST_TMP/refused"; then fail "checkpoint without --file-locks succeeded"; fi
err=$(cat "$TEST_TMP/ckpt.err")
assert_contains "$err" "--file-locks" "the refusal names the flag"
assert_contains "$err" "/tmp/flock.f" "the refusal names the file"
assert_contains "$err" "FLOCK" "the refusal names the kind of lock"
assert_contains "$err" "fd " "the refusal names the fd"
assert_contains "$err" "process " "the refusal names the process"
assert_eq running "$(state_of "$ID" status)" "status after the refused checkpoint"
cr_untraced "$(state_of "$ID" pid)"
pass "without --file-locks the checkpoint is refused: $err"

dir=$TEST_TMP/img
cr_checkpoint "$ID" "$dir" --file-locks || fail "checkpoint --file-locks: $(cat "$TEST_TMP/ckpt.err")"
cr_gone "$ID"
cr_restore "$ID" "$B" "$dir" --file-locks || fail "restore --file-locks: $(cat "$TEST_TMP/restore.err")"
assert_eq running "$(state_of "$ID" status)" "status after restore"
pass "checkpointed and restored with --file-locks"
cr_verify "$ID" "$B.shared"
pass "flock, POSIX and OFD locks are held again"
