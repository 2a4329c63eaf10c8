#!/bin/bash
# create -> "created" -> start -> "running" -> process exits -> "stopped" -> delete.
source "$(dirname "$0")/../lib.sh"

B=$TEST_TMP/bundle
make_bundle "$B" sh -c 'echo started >/shared/started; read line </shared/go; echo "got $line"'
mkdir -p "$TEST_TMP/shared"
mkfifo "$TEST_TMP/shared/go"
add_bind "$B" "$TEST_TMP/shared" /shared
new_id ID

rt create --bundle "$B" --pid-file "$TEST_TMP/pid" "$ID" </dev/null >"$TEST_TMP/out" 2>"$TEST_TMP/err" ||
    fail "create: $(cat "$TEST_TMP/err")"
assert_eq created "$(state_of "$ID" status)" "status after create"
pid=$(state_of "$ID" pid)
assert_match "$pid" '^[1-9][0-9]*$' "state pid is a number"
pid_alive "$pid" || fail "created container's pid $pid is not alive"
assert_eq "$ID" "$(state_of "$ID" id)" "state id"
assert_eq "$B" "$(state_of "$ID" bundle)" "state bundle"
assert_match "$(state_of "$ID" ociVersion)" '^1\.' "state ociVersion"
assert_eq "$pid" "$(cat "$TEST_TMP/pid")" "pid file names the container's pid"
assert_eq 0 "$(tr -d '0-9' <"$TEST_TMP/pid" | wc -c)" "pid file holds digits only, no newline"
sleep 0.3
[ ! -e "$TEST_TMP/shared/started" ] || fail "the process ran before start"
pass "process has not run before start"

rt start "$ID" || fail "start"
assert_eq running "$(state_of "$ID" status)" "status after start"
assert_eq "$pid" "$(state_of "$ID" pid)" "pid unchanged by start"
wait_file "$TEST_TMP/shared/started"
pass "process runs after start"

echo go >"$TEST_TMP/shared/go"
wait_status "$ID" stopped
pass "status after the process exits"
assert_eq "got go" "$(cat "$TEST_TMP/out")" "process output"

# start of a stopped container must fail
if rt start "$ID" 2>/dev/null; then fail "start of a stopped container succeeded"; fi
pass "start of a stopped container fails"

rt delete "$ID" || fail "delete of a stopped container"
out=$(rtc state "$ID" 2>&1) && fail "state after delete succeeded: $out"
assert_contains "$out" "does not exist" "state after delete"
[ -z "$(ls -A "$STATE" 2>/dev/null)" ] || fail "state root not empty after delete: $(ls -A "$STATE")"
pass "nothing left in the state root"
