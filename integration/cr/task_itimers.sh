#!/bin/bash
# setitimer timers (ITIMER_REAL firing, ITIMER_VIRTUAL/PROF with an hour left) keep their intervals and go on counting after checkpoint and restore (workloads/taskwork.c).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
require_root

B=$TEST_TMP/bundle
cr_bundle_bin "$B" "${CR_TASK_WORKLOAD:-}" itimers
new_id ID
run_detached "$ID" "$B"
wait_file "$B.shared/ready" 20
cr_roundtrip "$ID" "$B"
pass "checkpointed and restored"
cr_verify "$ID" "$B.shared"
pass "itimers kept their intervals and values and go on counting"
