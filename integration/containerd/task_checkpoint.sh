#!/bin/bash
# `ctr task checkpoint`: the shim pauses the task, myrt checkpoints the paused
# container, the shim resumes it. Without --exit the task goes on running;
# with --exit --image-path the image lands in that directory (myrt.img and the
# inventory.img callers look for) and the task stops.
source "$(dirname "$0")/../lib.sh"
containerd_setup

task_status() { c task ls | awk -v id="$1" '$1 == id {print $3}'; }
shared=$TEST_TMP/shared
mkdir -p "$shared"
new_id ID
c run -d --snapshotter native --runc-binary "$MYRT" --mount "type=bind,src=$shared,dst=/shared,options=rbind:rw" \
    "$CTR_IMAGE" "$ID" sh -c 'i=0; while true; do i=$((i+1)); echo $i > /shared/c.new; mv -f /shared/c.new /shared/c; sleep 0.1; done' \
    </dev/null >/dev/null 2>"$TEST_TMP/err" || fail "ctr run -d: $(cat "$TEST_TMP/err")"
sleep 1

c task checkpoint "$ID" >/dev/null 2>"$TEST_TMP/err" || fail "ctr task checkpoint: $(cat "$TEST_TMP/err")"
assert_eq RUNNING "$(task_status "$ID")" "running after a checkpoint without --exit"
a=$(cat "$shared/c"); sleep 0.5; b=$(cat "$shared/c")
[ "$b" -gt "$a" ] || fail "the task does not count after the checkpoint: $a then $b"
pass "ctr task checkpoint leaves the task running"

img=$TEST_TMP/image
c task checkpoint --exit --image-path "$img" --work-path "$TEST_TMP/work" "$ID" >/dev/null 2>"$TEST_TMP/err" ||
    fail "ctr task checkpoint --exit: $(cat "$TEST_TMP/err")"
[ -s "$img/myrt.img" ] || fail "no myrt.img in --image-path"
[ -e "$img/inventory.img" ] || fail "no inventory.img in --image-path"
for i in $(seq 50); do [ "$(task_status "$ID")" = STOPPED ] && break; sleep 0.1; done
assert_eq STOPPED "$(task_status "$ID")" "stopped after checkpoint --exit"
"$MYRT" image inspect --summary "$img" >/dev/null || fail "the image does not verify"
pass "ctr task checkpoint --exit writes a complete image to the path"
