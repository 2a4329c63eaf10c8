#!/bin/bash
# containerd's checkpoint flow with myrt as the runc binary: `ctr container
# checkpoint --task` (the shim pauses, myrt checkpoints with --leave-running,
# the shim resumes), then the task is killed and the container removed, and
# `ctr container restore --live` brings the task back from the checkpoint
# image: its counter goes on from the checkpointed value, it never restarts.
source "$(dirname "$0")/../lib.sh"
containerd_setup

shared=$TEST_TMP/shared
mkdir -p "$shared"
# The counter is appended to one file, not written to a temp file and renamed:
# the task keeps running after the checkpoint, and a temp file the image caught
# open would be renamed away before the restore, which must then fail (the
# file it had open is gone). Appending (not truncating) means the task can be
# frozen or killed at any instant and the file still ends with a count.
new_id ID
c run -d --snapshotter native --runc-binary "$MYRT" --mount "type=bind,src=$shared,dst=/shared,options=rbind:rw" \
    "$CTR_IMAGE" "$ID" sh -c 'i=0; while true; do i=$((i+1)); echo $i >> /shared/c; sleep 0.1; done' \
    </dev/null >/dev/null 2>"$TEST_TMP/err" || fail "ctr run -d: $(cat "$TEST_TMP/err")"
sleep 3
c container checkpoint --task "$ID" "$ID-ckpt" >/dev/null 2>"$TEST_TMP/err" ||
    fail "ctr container checkpoint --task: $(cat "$TEST_TMP/err")"
at_checkpoint=$(read_counter "$shared/c")
[ "$at_checkpoint" -ge 20 ] || fail "counter too low at checkpoint: $at_checkpoint"
pass "checkpoint taken while the task kept running (counter $at_checkpoint)"

c task kill -s 9 "$ID" >/dev/null 2>&1
for i in $(seq 50); do c task ls | grep -q "^$ID " || break; c task delete "$ID" >/dev/null 2>&1; sleep 0.1; done
c container rm "$ID" >/dev/null 2>"$TEST_TMP/err" || fail "ctr container rm: $(cat "$TEST_TMP/err")"
echo 0 > "$shared/c"

c container restore --live "$ID" "$ID-ckpt" >/dev/null 2>"$TEST_TMP/err" ||
    fail "ctr container restore --live: $(cat "$TEST_TMP/err")"
sleep 1
first=$(read_counter "$shared/c")
sleep 1
second=$(read_counter "$shared/c")
[ "$first" -ge "$at_checkpoint" ] || fail "restored counter $first is below the checkpointed $at_checkpoint: the task started over"
[ "$second" -gt "$first" ] || fail "restored counter does not advance: $first then $second"
pass "restored task counts on from $at_checkpoint ($first, then $second)"

out=$(c task exec --exec-id e1 "$ID" cat /shared/c </dev/null 2>"$TEST_TMP/err") || fail "ctr task exec after restore: $(cat "$TEST_TMP/err")"
[ -n "$out" ] || fail "exec after restore printed nothing"
c task ps "$ID" >/dev/null 2>"$TEST_TMP/err" || fail "ctr task ps after restore: $(cat "$TEST_TMP/err")"
pass "exec and ps on the restored task"
c task kill -s 9 "$ID" >/dev/null 2>&1
