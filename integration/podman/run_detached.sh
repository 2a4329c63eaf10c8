#!/bin/bash
# podman run -d, exec (plain and -t-less with env), pause/unpause, stop, rm.
source "$(dirname "$0")/../lib.sh"
podman_setup

cid=$(pm run -d "${PODMAN_RUN_FLAGS[@]}" --name "c-$$" "$PODMAN_IMAGE" sleep 600 </dev/null 2>"$TEST_TMP/err") ||
    fail "podman run -d: $(cat "$TEST_TMP/err")"
assert_eq running "$(pm inspect -f '{{.State.Status}}' "c-$$")" "running after run -d"
pid=$(pm inspect -f '{{.State.Pid}}' "c-$$")
assert_eq sleep "$(cat /proc/"$pid"/comm)" "podman's pid is the container process"

out=$(pm exec "c-$$" sh -c 'echo exec-ok; cat /proc/1/comm' </dev/null 2>"$TEST_TMP/err") || fail "podman exec: $(cat "$TEST_TMP/err")"
assert_eq "$(printf 'exec-ok\nsleep')" "$out" "podman exec runs in the container"
pm exec -e X=1 "c-$$" sh -c 'exit $((X + 6))' </dev/null 2>/dev/null
assert_eq 7 "$?" "podman exec exit code and env"

pm pause "c-$$" >/dev/null 2>"$TEST_TMP/err" || fail "podman pause: $(cat "$TEST_TMP/err")"
assert_eq paused "$(pm inspect -f '{{.State.Status}}' "c-$$")" "paused"
pm unpause "c-$$" >/dev/null 2>"$TEST_TMP/err" || fail "podman unpause: $(cat "$TEST_TMP/err")"
assert_eq running "$(pm inspect -f '{{.State.Status}}' "c-$$")" "running after unpause"

pm stop -t 2 "c-$$" >/dev/null 2>"$TEST_TMP/err" || fail "podman stop: $(cat "$TEST_TMP/err")"
assert_eq exited "$(pm inspect -f '{{.State.Status}}' "c-$$")" "exited after stop"
wait_gone "$pid"
pm rm "c-$$" >/dev/null 2>"$TEST_TMP/err" || fail "podman rm: $(cat "$TEST_TMP/err")"
assert_eq "" "$(pm ps -aq)" "no container left after rm"
