#!/bin/bash
# cr/ipc leak detection: a process outside the container (in the container's
# IPC namespace through nsenter) attaches the container's segment; the
# checkpoint fails naming the segment and that process, and the container
# keeps running. Once the outsider is gone the checkpoint succeeds.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
source "$(dirname "$0")/ipc_lib.sh"
require_root
command -v nsenter >/dev/null || skip "needs nsenter"

W=$(ipc_workload)
B=$TEST_TMP/bundle
cr_bundle_bin "$B" "$W" leak
new_id ID
run_detached "$ID" "$B"
wait_file "$B.shared/ready" 20
PID=$(state_of "$ID" pid)

# It attaches from inside the namespace, then goes back to ours: only the
# attachment ties it to the container (a process in the namespace is a leak of
# the namespace itself, which the objhash reports first).
nsenter --ipc=/proc/$PID/ns/ipc "$W" attach 0x4c4b /proc/$$/ns/ipc >"$TEST_TMP/attach.out" 2>&1 &
OUTSIDER=$!
on_exit "kill $OUTSIDER 2>/dev/null"
for _ in $(seq 100); do [ -s "$TEST_TMP/attach.out" ] && break; sleep 0.05; done
read -r APID SHMID <"$TEST_TMP/attach.out" || fail "the outside process did not attach: $(cat "$TEST_TMP/attach.out")"
[ "$APID" = "$OUTSIDER" ] || fail "attach printed pid $APID, nsenter's child is $OUTSIDER"

if cr_checkpoint "$ID" "$TEST_TMP/img.leak"; then
    fail "checkpoint succeeded although process $APID outside the container attaches segment $SHMID"
fi
ERR=$(cat "$TEST_TMP/ckpt.err")
grep -q "segment $SHMID" <<<"$ERR" || fail "the error does not name segment $SHMID: $ERR"
grep -q "process $APID outside the container" <<<"$ERR" || fail "the error does not name process $APID: $ERR"
pass "checkpoint refused: $ERR"
assert_eq running "$(state_of "$ID" status)" "status after the refused checkpoint"
cr_untraced "$PID"
[ ! -e "$TEST_TMP/img.leak/myrt.img" ] || fail "a refused checkpoint left an image"

kill "$OUTSIDER"
wait "$OUTSIDER" 2>/dev/null
cr_verify "$ID" "$B.shared"
pass "the container kept running with its state"
# Without the outsider the same container checkpoints and restores.
rm -f "$B.shared/result"
cr_roundtrip "$ID" "$B"
cr_verify "$ID" "$B.shared"
pass "checkpointed and restored once the outside process was gone"
