#!/bin/bash
# --leave-running keeps the original running and untraced; the image is
# restored under a second id while the original keeps running.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
require_root

cr_run_counter
cr_checkpoint "$ID" "$TEST_TMP/img" --leave-running || fail "checkpoint --leave-running: $(cat "$TEST_TMP/ckpt.err")"
assert_eq running "$(state_of "$ID" status)" "original still running"
pid=$(state_of "$ID" pid)
cr_untraced "$pid"
a=$(count); sleep 0.3
[ "$(count)" -gt "$a" ] || fail "original's counter stopped"
pass "original runs on, untraced"

# The copy writes into its own shared dir: a second bundle, same rootfs.
# The image holds the files open at the moment of the dump (the counter's
# count.tmp.PID while it writes), so the copy's shared dir must be the
# original's as of that moment, as a migration copies a filesystem snapshot:
# the copy is taken from a second dump of the paused original, and the dir is
# copied before the original resumes.
B2=$TEST_TMP/bundle2
mkdir -p "$B2"
cp -a "$B/rootfs" "$B2/rootfs"
jq --arg s "$B2.shared" '(.mounts[] | select(.destination == "/shared") | .source) = $s' "$B/config.json" >"$B2/config.json"
rt pause "$ID" || fail "pause"
cr_checkpoint "$ID" "$TEST_TMP/img2" --leave-running || fail "checkpoint --leave-running of the paused original: $(cat "$TEST_TMP/ckpt.err")"
cp -a "$B.shared" "$B2.shared"
rt resume "$ID" || fail "resume"
copied=$(cat "$B2.shared/count")
new_id ID2
cr_restore "$ID2" "$B2" "$TEST_TMP/img2" || fail "restore of the copy: $(cat "$TEST_TMP/restore.err")"
for ((i = 0; i < 200; i++)); do [ "$(cat "$B2.shared/count")" -gt "$copied" ] && break; sleep 0.05; done
c=$(count)
sleep 0.3
[ "$(cat "$B2.shared/count")" -gt "$copied" ] || fail "copy's counter not running (still $copied)"
[ "$(count)" -gt "$c" ] || fail "original stopped once the copy was restored"
assert_eq running "$(state_of "$ID" status)" "original"
assert_eq running "$(state_of "$ID2" status)" "copy"
[ "$(state_of "$ID" pid)" != "$(state_of "$ID2" pid)" ] || fail "copy and original share a pid"
pass "copy restored under $ID2 while the original runs"
