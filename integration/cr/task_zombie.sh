#!/bin/bash
# Zombie children (one exited with 42, one killed by SIGTERM) that were not
# reaped are checkpointed and restored as zombies: waitpid in the restored
# container reports the same statuses (integration/cr/proc_zombies.sh covers
# zombie group leaders and pending SIGCHLD). A checkpoint with
# --leave-running leaves them there for waitpid as well.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
require_root

B=$TEST_TMP/bundle
cr_bundle_bin "$B" "${CR_TASK_WORKLOAD:-}" zombie
new_id ID
run_detached "$ID" "$B"
wait_file "$B.shared/ready" 20
cr_checkpoint "$ID" "$TEST_TMP/img.lr" --leave-running || fail "checkpoint --leave-running: $(cat "$TEST_TMP/ckpt.err")"
assert_eq running "$(state_of "$ID" status)" "status after the --leave-running checkpoint"
cr_untraced "$(state_of "$ID" pid)"
cr_roundtrip "$ID" "$B"
pass "checkpointed and restored with two unreaped zombies"
cr_verify "$ID" "$B.shared"
pass "waitpid after restore reports exit 42 and SIGTERM"
