#!/bin/bash
# Errors reach the caller: a host process holds a pipe that lives inside the
# container, so myrt's leak detection refuses the checkpoint. podman shows
# myrt's message naming the pipe and the outside holder, and the container
# keeps running, untraced. `--leave-running` works once the holder is gone.
source "$(dirname "$0")/../lib.sh"
require_root
require_cmd criu
podman_setup

name=e-$$
pm run -d "${PODMAN_RUN_FLAGS[@]}" --name "$name" "$PODMAN_IMAGE" sh -c 'sleep 1000 | cat' \
    </dev/null >/dev/null 2>"$TEST_TMP/err" || fail "podman run -d: $(cat "$TEST_TMP/err")"
pid=$(pm inspect -f '{{.State.Pid}}' "$name")
cat_pid=$(wait_child_comm "$pid" cat) || exit 1
# The outside holder: a host process with the container's pipe as its stdin.
sleep 300 < "/proc/$cat_pid/fd/0" &
holder=$!
track_pid "$holder"

pm container checkpoint "$name" >/dev/null 2>"$TEST_TMP/err" && fail "checkpoint succeeded although a host process holds the container's pipe"
err=$(cat "$TEST_TMP/err")
assert_contains "$err" "leak" "podman shows myrt's leak error"
assert_contains "$err" "pid $holder" "the error names the outside holder"
assert_eq running "$(pm inspect -f '{{.State.Status}}' "$name")" "the container is still running"
assert_eq 0 "$(awk '/^TracerPid:/ {print $2}' "/proc/$cat_pid/status")" "the container's tasks are not left traced"

kill "$holder"; wait "$holder" 2>/dev/null
pm container checkpoint --leave-running "$name" >/dev/null 2>"$TEST_TMP/err" ||
    fail "checkpoint --leave-running: $(cat "$TEST_TMP/err")"
assert_eq running "$(pm inspect -f '{{.State.Status}}' "$name")" "running after --leave-running"
assert_eq cat "$(cat /proc/"$cat_pid"/comm)" "the same process goes on after --leave-running"
pm stop -t 1 "$name" >/dev/null 2>&1
pass "errors reach podman and leave the container running"
