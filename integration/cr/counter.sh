#!/bin/bash
# A counter in memory continues after restore from where it was checkpointed
# (not from 0); the checkpoint leaves the files callers look for and removes
# the container (as runc), so restore reuses its id at once.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
require_root

cr_run_counter
sleep 0.3
IMG=$TEST_TMP/img
cr_checkpoint "$ID" "$IMG" || fail "checkpoint: $(cat "$TEST_TMP/ckpt.err")"
for f in "$IMG/myrt.img" "$IMG/inventory.img" "$IMG.work/dump.log" "$IMG.work/stats-dump"; do
    [ -s "$f" ] || fail "checkpoint left no $f"
done
[ -e "$IMG/myrt.img.partial" ] && fail "a .partial image remains after a successful checkpoint"
cr_gone "$ID"
at=$(count)
sleep 0.3
assert_eq "$at" "$(count)" "counter frozen after the checkpoint killed the container"
pass "checkpoint at $at, container gone"
if command -v crit >/dev/null; then
    crit decode -i "$IMG.work/stats-dump" --pretty >"$TEST_TMP/stats.json" 2>&1 || fail "crit cannot decode stats-dump: $(cat "$TEST_TMP/stats.json")"
    assert_contains "$(cat "$TEST_TMP/stats.json")" frozen_time "stats-dump decoded by crit"
    crit decode -i "$IMG/inventory.img" >/dev/null 2>&1 || fail "crit cannot decode inventory.img"
    pass "stats-dump and inventory.img are CRIU-format"
fi

cr_restore "$ID" "$B" "$IMG" || fail "restore: $(cat "$TEST_TMP/restore.err")"
[ -s "$IMG.rwork/restore.log" ] && [ -s "$IMG.rwork/stats-restore" ] || fail "restore left no restore.log/stats-restore"
assert_eq running "$(state_of "$ID" status)" "status after restore"
counts_on_from "$at"
pass "counter continued: $at -> $now"
# The restored container is an ordinary one: checkpoint it again.
cr_checkpoint "$ID" "$TEST_TMP/img2" || fail "second checkpoint of the restored container: $(cat "$TEST_TMP/ckpt.err")"
pass "restored container checkpoints again"
