#!/bin/bash
# myrt killed (SIGKILL) in the middle of a checkpoint: the kernel detaches the
# tasks (no PTRACE_O_EXITKILL in checkpoint mode), the container keeps
# running with its memory intact, and no complete-looking image exists.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
require_root

B=$TEST_TMP/bundle
cr_bundle "$B" memory 512
new_id ID
run_detached "$ID" "$B"
wait_file "$B.shared/ready" 120
pid=$(state_of "$ID" pid)
IMG=$TEST_TMP/img
"$MYRT" --root "$STATE" checkpoint --image-path "$IMG" "$ID" </dev/null >"$TEST_TMP/ckpt.out" 2>&1 &
ckpt=$!
track_pid "$ckpt"
# wait until the memory is being written (the tasks are seized and thawed then)
for ((i = 0; i < 600; i++)); do
    [ "$(stat -c %s "$IMG/myrt.img.partial" 2>/dev/null || echo 0)" -gt $((8 << 20)) ] && break
    sleep 0.02
done
[ -e "$IMG/myrt.img.partial" ] || fail "the checkpoint never started writing memory: $(cat "$TEST_TMP/ckpt.out")"
kill -KILL "$ckpt"
wait "$ckpt" 2>/dev/null
[ -e "$IMG/myrt.img" ] && fail "a complete-looking image exists after myrt was killed"
for ((i = 0; i < 100; i++)); do [ "$(awk '/^TracerPid:/ {print $2}' "/proc/$pid/status")" = 0 ] && break; sleep 0.05; done
cr_untraced "$pid"
assert_eq running "$(state_of "$ID" status)" "status after the checkpointer died"
pass "checkpointer killed mid-dump: container running, untraced, no image"
cr_verify "$ID" "$B.shared"
pass "memory intact after the interrupted checkpoint"
