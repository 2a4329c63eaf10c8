#!/bin/bash
# A pty end held outside the container fails the checkpoint, naming the pty
# and the outside holder; the container keeps running. Once the outside fd is
# closed the same container checkpoints and restores.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
require_root

B=$TEST_TMP/bundle
cr_bundle_bin "$B" "$CR_TTY_WORKLOAD" hold
new_id ID
run_detached "$ID" "$B"
wait_file "$B.shared/index" 20
wait_file "$B.shared/ready" 20
pid=$(state_of "$ID" pid)
idx=$(cat "$B.shared/index")
# This shell (outside the container) opens the container's pty slave.
exec 7<>"/proc/$pid/root/dev/pts/$idx" || fail "opening the container's pty $idx from outside"
if cr_checkpoint "$ID" "$TEST_TMP/img.leak"; then
    fail "checkpoint succeeded while a pty slave was held outside the container"
fi
grep -q "pty $idx" "$TEST_TMP/ckpt.err" || fail "the error does not name pty $idx: $(cat "$TEST_TMP/ckpt.err")"
grep -q "$$" "$TEST_TMP/ckpt.err" || fail "the error does not name the outside holder $$: $(cat "$TEST_TMP/ckpt.err")"
pass "leaked pty refused: $(head -c 300 "$TEST_TMP/ckpt.err")"
assert_eq running "$(state_of "$ID" status)" "status after the refused checkpoint"
cr_untraced "$pid"
exec 7>&-
cr_roundtrip "$ID" "$B"
cr_verify "$ID" "$B.shared"
pass "without the outside holder the pty checkpoints and restores, and still works"
