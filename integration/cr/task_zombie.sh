#!/bin/bash
# Zombie children (one exited with 42, one killed by SIGTERM) that were not
# reaped are not restored yet: the checkpoint fails naming the zombie, its
# parent and its exit status, and the container runs on with its zombies
# still there for waitpid.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
require_root

B=$TEST_TMP/bundle
cr_bundle_bin "$B" "${CR_TASK_WORKLOAD:-}" zombie
new_id ID
run_detached "$ID" "$B"
wait_file "$B.shared/ready" 20
if cr_checkpoint "$ID" "$TEST_TMP/img"; then fail "checkpoint with unreaped zombies succeeded"; fi
err=$(cat "$TEST_TMP/ckpt.err")
assert_contains "$err" "zombie child of process $(state_of "$ID" pid)" "the refusal names the zombie and its parent"
assert_contains "$err" "exit status" "the refusal gives the exit status"
assert_eq running "$(state_of "$ID" status)" "status after the refused checkpoint"
cr_untraced "$(state_of "$ID" pid)"
cr_verify "$ID" "$B.shared"
pass "unreaped zombies are refused ($err); the container runs on and reaps them"
