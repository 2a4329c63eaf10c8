#!/bin/bash
# A checkpoint that fails leaves the container running as before, untraced,
# and no complete-looking image.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
require_root

cr_run_counter
pid=$(state_of "$ID" pid)

# image path on a full filesystem: an 8 KiB tmpfs cannot hold the image
mkdir -p "$TEST_TMP/full"
mount -t tmpfs -o size=8k tmpfs "$TEST_TMP/full" || skip "cannot mount a tmpfs"
on_exit "umount -l '$TEST_TMP/full'"
cr_checkpoint "$ID" "$TEST_TMP/full/img" && fail "checkpoint onto a full filesystem succeeded"
log "refused: $(cat "$TEST_TMP/ckpt.err")"
assert_eq running "$(state_of "$ID" status)" "status after the failed checkpoint"
cr_untraced "$pid"
[ -e "$TEST_TMP/full/img/myrt.img" ] && fail "a complete-looking image was left"
[ -e "$TEST_TMP/full/img/myrt.img.partial" ] && fail "the .partial image was left"
a=$(count); sleep 0.3
[ "$(count)" -gt "$a" ] || fail "counter stopped after the failed checkpoint"
pass "full filesystem: container running, untraced, no image"

# image path that cannot be created (a file is in the way)
touch "$TEST_TMP/afile"
cr_checkpoint "$ID" "$TEST_TMP/afile/img" && fail "checkpoint into an uncreatable directory succeeded"
assert_eq running "$(state_of "$ID" status)" "status after the second failed checkpoint"
cr_untraced "$pid"
pass "uncreatable image path refused"

# unsupported flags are refused by name
out=$(rt checkpoint --lazy-pages --image-path "$TEST_TMP/x" "$ID" 2>&1) && fail "--lazy-pages accepted"
assert_contains "$out" "not supported yet" "--lazy-pages refusal"
cr_untraced "$pid"
assert_eq running "$(state_of "$ID" status)" "still running"
pass "unsupported flags refused clearly"
