#!/bin/bash
# Restore without --detach stays in the foreground until the restored init
# exits and returns its exit code (as runc does), then removes the container;
# --pid-file gets the restored init's host pid, digits only.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
require_root

B=$TEST_TMP/bundle
mkdir -p "$B.shared"
make_bundle "$B" sh -c 'echo start >>/shared/starts; echo up >/shared/ready; i=0; while [ $i -lt 40 ]; do i=$((i+1)); echo $i >/shared/n.new; mv -f /shared/n.new /shared/n; sleep 0.05; done; exit 7'
add_bind "$B" "$B.shared" /shared
new_id ID
run_detached "$ID" "$B"
wait_file "$B.shared/ready" 20
wait_file "$B.shared/n" 20
for ((i = 0; i < 200; i++)); do [ "$(cat "$B.shared/n")" -ge 5 ] && break; sleep 0.05; done
cr_checkpoint "$ID" "$TEST_TMP/img" || fail "checkpoint: $(cat "$TEST_TMP/ckpt.err")"
at=$(cat "$B.shared/n")
cr_gone "$ID"
rt restore --bundle "$B" --image-path "$TEST_TMP/img" --pid-file "$TEST_TMP/pid" "$ID" </dev/null \
    >"$TEST_TMP/restore.out" 2>"$TEST_TMP/restore.err"
code=$?
assert_eq 7 "$code" "foreground restore returns the restored init's exit code ($(cat "$TEST_TMP/restore.err"))"
assert_eq 40 "$(cat "$B.shared/n")" "the loop ran to its end after restore (checkpointed at $at)"
assert_eq 1 "$(wc -l <"$B.shared/starts")" "the script started once (restored, not rerun)"
assert_match "$(cat "$TEST_TMP/pid")" '^[0-9]+$' "pid file holds digits only"
[ -z "$(rt list -q | grep -x "$ID")" ] || fail "container still listed after its foreground restore ended"
pass "foreground restore: exit code 7, loop continued from $at, container removed"
