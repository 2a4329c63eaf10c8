#!/bin/bash
# A container with a time namespace (linux.timeOffsets: monotonic +1 day,
# boottime +2 days) and a cgroup namespace: after restore the offsets are
# the same (the checkpoint saves them, the restore checks the new namespace
# against them), the cgroup namespace root is still "/", and
# CLOCK_MONOTONIC did not jump (workloads/taskwork.c).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
require_root
[ -e /proc/self/timens_offsets ] || skip "the kernel has no time namespaces"

B=$TEST_TMP/bundle
cr_bundle_bin "$B" "${CR_TASK_WORKLOAD:-}" namespaces
edit_config "$B" '.linux.namespaces = ([.linux.namespaces[] | select(.type != "cgroup" and .type != "time")] + [{"type": "time"}, {"type": "cgroup"}]) |
    .linux.timeOffsets = {"monotonic": {"secs": 86400, "nanosecs": 0}, "boottime": {"secs": 172800, "nanosecs": 0}}'
new_id ID
run_detached "$ID" "$B"
wait_file "$B.shared/ready" 20
cr_roundtrip "$ID" "$B"
pass "checkpointed and restored"
cr_verify "$ID" "$B.shared"
pass "time namespace offsets and the cgroup namespace root kept"

# The same image into a bundle with other offsets: refused, naming both.
edit_config "$B" '.linux.timeOffsets.monotonic.secs = 5'
rt delete --force "$ID" >/dev/null 2>&1
if cr_restore "$ID" "$B" "$TEST_TMP/img.1"; then fail "restore with other time offsets succeeded"; fi
assert_contains "$(cat "$TEST_TMP/restore.err")" "time namespace offsets" "the refusal names the offsets"
pass "other time offsets refused: $(cat "$TEST_TMP/restore.err")"
