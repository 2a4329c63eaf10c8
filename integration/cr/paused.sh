#!/bin/bash
# A paused container (containerd pauses before it checkpoints) is dumped;
# with --leave-running it is still paused afterwards; restore runs it.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
require_root

cr_run_counter
rt pause "$ID" || fail "pause"
sleep 0.1
at=$(count)
cr_checkpoint "$ID" "$TEST_TMP/img1" --leave-running || fail "checkpoint --leave-running of a paused container: $(cat "$TEST_TMP/ckpt.err")"
assert_eq paused "$(state_of "$ID" status)" "still paused after checkpoint --leave-running"
sleep 0.3
assert_eq "$at" "$(count)" "counter stays frozen"
cr_untraced "$(state_of "$ID" pid)"
pass "paused container dumped and left paused, untraced"
cr_checkpoint "$ID" "$TEST_TMP/img2" || fail "checkpoint of a paused container: $(cat "$TEST_TMP/ckpt.err")"
cr_gone "$ID"
cr_restore "$ID" "$B" "$TEST_TMP/img2" || fail "restore: $(cat "$TEST_TMP/restore.err")"
for ((i = 0; i < 200; i++)); do [ "$(count)" -gt "$at" ] && break; sleep 0.05; done
[ "$(count)" -gt "$at" ] || fail "counter did not continue after restore of a paused checkpoint"
pass "restored from a paused checkpoint, running again"
