#!/bin/bash
# Errors reach containerd: a host process holds a pipe that lives inside the
# container, so myrt's leak detection refuses the checkpoint. ctr prints
# myrt's own message (the shim reads the last error line of myrt's JSON log),
# and the task keeps running, untraced; once the holder is gone the same
# checkpoint succeeds.
source "$(dirname "$0")/../lib.sh"
require_root
containerd_setup

task_status() { c task ls | awk -v id="$1" '$1 == id {print $3}'; }
new_id ID
c run -d --snapshotter native --runc-binary "$MYRT" "$CTR_IMAGE" "$ID" sh -c 'sleep 1000 | cat' \
    </dev/null >/dev/null 2>"$TEST_TMP/err" || fail "ctr run -d: $(cat "$TEST_TMP/err")"
pid=""
for i in $(seq 50); do
    pid=$(c task ls | awk -v id="$ID" '$1 == id {print $2}')
    [ -n "$pid" ] && [ "$pid" != 0 ] && break
    sleep 0.1
done
cat_pid=$(wait_child_comm "$pid" cat) || exit 1
# The outside holder: a host process with the container's pipe as its stdin.
sleep 300 < "/proc/$cat_pid/fd/0" &
holder=$!
track_pid "$holder"

c task checkpoint "$ID" >/dev/null 2>"$TEST_TMP/err" && fail "checkpoint succeeded although a host process holds the container's pipe"
err=$(cat "$TEST_TMP/err")
log "ctr: $err"
assert_contains "$err" "leak" "ctr shows myrt's leak error"
assert_contains "$err" "pid $holder" "the error names the outside holder"
assert_eq RUNNING "$(task_status "$ID")" "the task is still running"
assert_eq 0 "$(awk '/^TracerPid:/ {print $2}' "/proc/$cat_pid/status")" "the container's tasks are not left traced"
assert_eq cat "$(cat /proc/"$cat_pid"/comm)" "the same process goes on"

kill "$holder"; wait "$holder" 2>/dev/null
c task checkpoint "$ID" >/dev/null 2>"$TEST_TMP/err" || fail "checkpoint once the holder is gone: $(cat "$TEST_TMP/err")"
assert_eq RUNNING "$(task_status "$ID")" "running after the checkpoint"
pass "errors reach containerd and leave the task running"
