#!/bin/bash
# podman container checkpoint / restore with myrt as the runtime, the
# default seccomp profile and no_new_privs as podman sets them: the
# container's counter goes on from where it was (its log never starts over)
# and podman sees it running again with myrt's statistics.
source "$(dirname "$0")/../lib.sh"
require_root
require_cmd criu
podman_setup

name=c-$$
pm run -d "${PODMAN_RUN_FLAGS[@]}" --name "$name" "$PODMAN_IMAGE" \
    sh -c 'i=0; while true; do i=$((i+1)); echo "tick $i"; sleep 0.2; done' </dev/null >/dev/null 2>"$TEST_TMP/err" ||
    fail "podman run -d: $(cat "$TEST_TMP/err")"
sleep 1.5
pm container checkpoint --print-stats "$name" >"$TEST_TMP/ckpt.out" 2>"$TEST_TMP/err" ||
    fail "podman container checkpoint: $(cat "$TEST_TMP/err")"
assert_contains "$(cat "$TEST_TMP/ckpt.out")" "runtime_checkpoint_duration" "checkpoint --print-stats shows the runtime's figures"
assert_eq exited "$(pm inspect -f '{{.State.Status}}' "$name")" "exited after checkpoint"
last=$(pm logs "$name" 2>/dev/null | tail -n1 | awk '{print $2}')
[ -n "$last" ] && [ "$last" -gt 0 ] || fail "no counter in the log before restore: [$last]"

pm container restore "$name" >/dev/null 2>"$TEST_TMP/err" || fail "podman container restore: $(cat "$TEST_TMP/err")"
assert_eq running "$(pm inspect -f '{{.State.Status}}' "$name")" "running after restore"
sleep 1.5
logs=$(pm logs "$name" 2>/dev/null)
now=$(echo "$logs" | tail -n1 | awk '{print $2}')
[ "$now" -gt "$last" ] || fail "counter did not go on after restore: $last then $now"
assert_eq 1 "$(echo "$logs" | grep -cx 'tick 1')" "the counter never started over"
assert_contains "$logs" "tick $((last + 1))" "the first tick after restore follows the last one before"
pid=$(pm inspect -f '{{.State.Pid}}' "$name")
assert_eq 2 "$(awk '/^Seccomp:/ {print $2}' "/proc/$pid/status")" "podman's seccomp profile is in force after restore"

pm stop -t 1 "$name" >/dev/null 2>&1 || fail "podman stop after restore"
pass "podman checkpoint and restore through myrt"
