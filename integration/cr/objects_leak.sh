#!/bin/bash
# An anon-inode description (an eventfd) shared with a process outside the
# container is a leak: the generic file kind of the leak detector (kcmp)
# catches it and the checkpoint fails, the container keeps running. Once the
# outside holder is gone, the same container checkpoints and restores.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
source "$(dirname "$0")/objects_lib.sh"
require_root

B=$TEST_TMP/bundle
cr_bundle_bin "$B" "$(objects_bin)" eventfd
new_id ID
run_detached "$ID" "$B"
wait_file "$B.shared/ready" 20
pid=$(state_of "$ID" pid)
# the workload's first eventfd is its lowest fd above stdio
efd=$(for f in /proc/$pid/fd/*; do [ "$(readlink "$f")" = "anon_inode:[eventfd]" ] && basename "$f"; done | sort -n | head -1)
[ -n "$efd" ] || fail "no eventfd in pid $pid"
"$(objects_bin)" grab "$pid" "$efd" >"$TEST_TMP/grab.out" &
grab=$!
on_exit "kill $grab 2>/dev/null"
wait_file "$TEST_TMP/grab.out" 10
cr_checkpoint "$ID" "$TEST_TMP/img.leak" && fail "checkpoint succeeded with the eventfd held by host pid $grab"
err=$(cat "$TEST_TMP/ckpt.err")
log "refused: $err"
assert_contains "$err" "$grab" "the leak report names the outside holder"
assert_eq running "$(state_of "$ID" status)" "status after the refused checkpoint"
cr_untraced "$pid"
pass "eventfd shared with a host process: checkpoint refused"
kill "$grab"
wait "$grab" 2>/dev/null
cr_roundtrip "$ID" "$B"
cr_verify "$ID" "$B.shared"
pass "without the outside holder the eventfd checkpoints and restores"
