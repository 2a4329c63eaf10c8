#!/bin/bash
# What the task layer does not restore fails the checkpoint up front, naming
# the object and the process, and the container keeps running (its workload
# still verifies): a mapping of a deleted file, a process inside vfork, a
# child in a ptrace stop under a debugger in the container, a file lease.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
require_root

refused() {
    local mode=$1 want=$2
    local B=$TEST_TMP/bundle.$mode
    cr_bundle_bin "$B" "${CR_TASK_WORKLOAD:-}" "$mode"
    new_id ID
    run_detached "$ID" "$B"
    wait_file "$B.shared/ready" 20
    if cr_checkpoint "$ID" "$TEST_TMP/img.$mode"; then fail "$mode: the checkpoint succeeded"; fi
    local err
    err=$(cat "$TEST_TMP/ckpt.err")
    assert_contains "$err" "$want" "$mode: the refusal says what and who"
    assert_eq running "$(state_of "$ID" status)" "$mode: status after the refused checkpoint"
    cr_untraced "$(state_of "$ID" pid)"
    cr_verify "$ID" "$B.shared"
    pass "$mode refused ($err); the container runs on"
}

refused deleted_map "maps the deleted file"
refused vfork "is inside vfork"
refused traced "is traced by process"
refused lease "holds a file lease (LEASE READ) on"
