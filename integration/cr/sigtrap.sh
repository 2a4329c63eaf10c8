#!/bin/bash
# The "sigtrap" workload (workloads/crwork.c) sets up its state, is checkpointed
# and restored, and then verifies that state itself (PASS/FAIL in /shared/result).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
require_root

B=$TEST_TMP/bundle
cr_bundle "$B" sigtrap
new_id ID
run_detached "$ID" "$B"
wait_file "$B.shared/ready" 20
cr_roundtrip "$ID" "$B"
pass "checkpointed and restored"
cr_verify "$ID" "$B.shared"
pass "a pending and an ignored SIGTRAP survived checkpoint and restore"
