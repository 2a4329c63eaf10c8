#!/bin/bash
# Kubernetes-style move between two containerd nodes (two daemons with their
# own roots, states and sockets on this machine): node A checkpoints a
# counting task into a checkpoint image, exports it, the task on A is
# stopped; node B imports the archive and restores the task with --live. The
# counter goes on from where A left it: the same process, moved; with --rw
# the file it wrote into its root file system moved too.
source "$(dirname "$0")/../lib.sh"
require_root
containerd_setup
NODE_A=$CTD_DIR
cA() { timeout -k 5 120 ctr --address "$NODE_A/containerd.sock" --namespace "$CTR_NS" "$@"; }
on_exit "CTD_DIR='$NODE_A' containerd_cleanup_tasks"
containerd_setup
NODE_B=$CTD_DIR
cB() { timeout -k 5 120 ctr --address "$NODE_B/containerd.sock" --namespace "$CTR_NS" "$@"; }

shared=$TEST_TMP/shared
mkdir -p "$shared"
# Appended in place: a temp file the image caught open would be renamed away by
# the task on node A before node B restores it, and a truncating write could be
# killed between truncation and write (see checkpoint_restore.sh).
new_id ID
cA run -d --snapshotter native --runc-binary "$MYRT" --mount "type=bind,src=$shared,dst=/shared,options=rbind:rw" \
    "$CTR_IMAGE" "$ID" sh -c 'echo from-node-a > /moved; i=0; while true; do i=$((i+1)); echo $i >> /shared/c; sleep 0.1; done' \
    </dev/null >/dev/null 2>"$TEST_TMP/err" || fail "node A: ctr run -d: $(cat "$TEST_TMP/err")"
sleep 2
cA container checkpoint --task --rw "$ID" "$ID-ckpt:1" >/dev/null 2>"$TEST_TMP/err" ||
    fail "node A: ctr container checkpoint --task: $(cat "$TEST_TMP/err")"
cA task kill -s 9 "$ID" >/dev/null 2>&1
for i in $(seq 50); do cA task ls | grep -q "^$ID " || break; cA task delete "$ID" >/dev/null 2>&1; sleep 0.1; done
at_checkpoint=$(read_counter "$shared/c")
[ "$at_checkpoint" -ge 10 ] || fail "counter too low at checkpoint: $at_checkpoint"
cA image export --skip-manifest-json "$TEST_TMP/ckpt.tar" "$ID-ckpt:1" 2>"$TEST_TMP/err" || fail "node A: ctr image export: $(cat "$TEST_TMP/err")"
pass "node A: checkpoint image exported (counter $at_checkpoint), task on A stopped"

cB image import --all-platforms --no-unpack "$TEST_TMP/ckpt.tar" >/dev/null 2>"$TEST_TMP/err" || fail "node B: ctr image import: $(cat "$TEST_TMP/err")"
cB container restore --live --rw "$ID" "$ID-ckpt:1" >/dev/null 2>"$TEST_TMP/err" ||
    fail "node B: ctr container restore --live: $(cat "$TEST_TMP/err")"
sleep 1
first=$(read_counter "$shared/c")
sleep 1
second=$(read_counter "$shared/c")
[ "$first" -ge "$at_checkpoint" ] || fail "node B: counter $first is below the checkpointed $at_checkpoint: the task started over"
[ "$second" -gt "$first" ] || fail "node B: restored counter does not advance: $first then $second"
assert_eq RUNNING "$(cB task ls | awk -v id="$ID" '$1 == id {print $3}')" "node B runs the task"
out=$(cB task exec --exec-id e1 "$ID" cat /shared/c </dev/null 2>"$TEST_TMP/err") || fail "node B: ctr task exec: $(cat "$TEST_TMP/err")"
[ -n "$out" ] || fail "exec on node B printed nothing"
out=$(cB task exec --exec-id e2 "$ID" cat /moved </dev/null 2>"$TEST_TMP/err") || fail "node B: the rw layer file is missing: $(cat "$TEST_TMP/err")"
assert_eq from-node-a "$out" "the file node A's task wrote into its rootfs moved with --rw"
pass "node B: the task counts on from $at_checkpoint ($first, then $second) and answers exec"
cB task kill -s 9 "$ID" >/dev/null 2>&1
