#!/bin/bash
# A child stopped with SIGSTOP is still stopped after restore and runs on after SIGCONT (workloads/taskwork.c).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
require_root

B=$TEST_TMP/bundle
cr_bundle_bin "$B" "${CR_TASK_WORKLOAD:-}" stopped
new_id ID
run_detached "$ID" "$B"
wait_file "$B.shared/ready" 20
cr_roundtrip "$ID" "$B"
pass "checkpointed and restored"
cr_verify "$ID" "$B.shared"
pass "the stopped child came back stopped and resumes on SIGCONT"
