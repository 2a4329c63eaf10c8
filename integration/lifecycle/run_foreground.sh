#!/bin/bash
# `run` in the foreground: stdio passes through and the exit code is the process's.
source "$(dirname "$0")/../lib.sh"

B=$TEST_TMP/bundle
make_bundle "$B" sh -c 'echo out-line; echo err-line >&2; exit 7'
new_id ID
out=$(rtc run --bundle "$B" "$ID" </dev/null 2>"$TEST_TMP/err")
rc=$?
assert_eq 7 "$rc" "exit code propagated"
assert_eq out-line "$out" "stdout passed through"
assert_contains "$(cat "$TEST_TMP/err")" err-line "stderr passed through"
out=$(rtc state "$ID" 2>&1) && fail "foreground run left the container behind"
assert_contains "$out" "does not exist" "run deletes the container after it exits"

set_args "$B" true
out=$(rtc run --bundle "$B" "$ID" </dev/null 2>&1) || fail "run true: $out"
pass "exit code 0 and the id is reusable after run"

# stdin is passed to the process too
set_args "$B" sh -c 'read x; echo "read:$x"'
out=$(echo fromstdin | rt run --bundle "$B" "$ID" 2>&1)
assert_eq "read:fromstdin" "$out" "stdin passed through"

# a process killed by a signal (from outside: pid 1 cannot SIGKILL itself): 128+signo
set_args "$B" sleep 600
rt run --pid-file "$TEST_TMP/fg.pid" --bundle "$B" "$ID" </dev/null >/dev/null 2>&1 &
runner=$!
track_pid "$runner"
wait_file "$TEST_TMP/fg.pid"
kill -KILL "$(cat "$TEST_TMP/fg.pid")"
wait "$runner"
assert_eq 137 "$?" "killed process gives 128+9"

# the default bundle (the current directory)
set_args "$B" sh -c 'echo cwd-bundle'
out=$(cd "$B" && rt run "$ID" </dev/null 2>&1) || fail "run with the current directory as bundle: $out"
assert_eq cwd-bundle "$out" "bundle defaults to the current directory"
