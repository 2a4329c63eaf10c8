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
B2=$TEST_TMP/bundle2
mkdir -p "$B2" "$B2.shared"
cp -a "$B/rootfs" "$B2/rootfs"
jq --arg s "$B2.shared" '(.mounts[] | select(.destination == "/shared") | .source) = $s' "$B/config.json" >"$B2/config.json"
new_id ID2
cr_restore "$ID2" "$B2" "$TEST_TMP/img" || fail "restore of the copy: $(cat "$TEST_TMP/restore.err")"
wait_file "$B2.shared/count" 20
c=$(count)
sleep 0.3
[ "$(cat "$B2.shared/count")" -gt 0 ] || fail "copy's counter not running"
[ "$(count)" -gt "$c" ] || fail "original stopped once the copy was restored"
assert_eq running "$(state_of "$ID" status)" "original"
assert_eq running "$(state_of "$ID2" status)" "copy"
[ "$(state_of "$ID" pid)" != "$(state_of "$ID2" pid)" ] || fail "copy and original share a pid"
pass "copy restored under $ID2 while the original runs"
