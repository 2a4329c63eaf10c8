#!/bin/bash
# A process with 10,000 mappings (more than one syscall batch holds) is
# checkpointed and restored with every mapping and its contents; the maps
# seen from outside are the same, and the restore time is printed.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
require_root

N=${PROC_MAPS:-10000}
B=$TEST_TMP/bundle
cr_bundle_bin "$B" "${CR_PROC_WORKLOAD:-}" maps "$N"
new_id ID
run_detached "$ID" "$B"
wait_file "$B.shared/ready" 60
pid=$(state_of "$ID" pid)
before=$(awk '{print $1, $2}' "/proc/$pid/maps")
n=$(wc -l <<<"$before")
[ "$n" -gt "$N" ] || fail "the workload has only $n mappings"
cr_checkpoint "$ID" "$TEST_TMP/img" || fail "checkpoint: $(cat "$TEST_TMP/ckpt.err")"
rt delete "$ID" >/dev/null 2>&1 || rt delete --force "$ID" || fail "delete $ID"
t0=$(date +%s%N)
cr_restore "$ID" "$B" "$TEST_TMP/img" || fail "restore: $(cat "$TEST_TMP/restore.err")"
t1=$(date +%s%N)
pass "restored $n mappings in $(((t1 - t0) / 1000000)) ms"
pid=$(state_of "$ID" pid)
after=$(awk '{print $1, $2}' "/proc/$pid/maps")
[ "$before" = "$after" ] || fail "maps differ after restore: $(diff <(echo "$before") <(echo "$after") | head -5)"
pass "the same $n mappings (ranges and protections) after restore"
cr_verify "$ID" "$B.shared"
pass "every mapping kept its contents"
