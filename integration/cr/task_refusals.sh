#!/bin/bash
# What the task layer does not restore fails the checkpoint up front, naming
# the object and the process, and the container keeps running: a mapping of
# a deleted file.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
require_root

B=$TEST_TMP/bundle
cr_bundle_bin "$B" "${CR_TASK_WORKLOAD:-}" deleted_map
new_id ID
run_detached "$ID" "$B"
wait_file "$B.shared/ready" 20
if cr_checkpoint "$ID" "$TEST_TMP/img"; then fail "checkpoint of a deleted-file mapping succeeded"; fi
err=$(cat "$TEST_TMP/ckpt.err")
assert_contains "$err" "/tmp/deleted.f" "the refusal names the file"
assert_contains "$err" "process " "the refusal names the process"
assert_eq running "$(state_of "$ID" status)" "status after the refused checkpoint"
cr_untraced "$(state_of "$ID" pid)"
cr_verify "$ID" "$B.shared"
pass "a deleted-file mapping is refused ($err) and the container runs on"
