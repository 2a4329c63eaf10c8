#!/bin/bash
# kill: signal by number, by name with and without SIG, default SIGTERM; --all.
source "$(dirname "$0")/../lib.sh"

B=$TEST_TMP/bundle
mkdir -p "$TEST_TMP/shared"
# pid 1 ignores signals it has no handler for, so the process traps them and
# records which one arrived.
make_bundle "$B" sh -c 'for s in TERM HUP USR1; do trap "echo $s >/shared/sig; exit 0" $s; done; echo ready >/shared/ready; while :; do sleep 0.05; done'
add_bind "$B" "$TEST_TMP/shared" /shared

kill_and_check() {   # kill_and_check EXPECTED_SIGNAL_NAME KILL_ARGS...
    local want=$1 id
    shift
    rm -f "$TEST_TMP/shared/sig" "$TEST_TMP/shared/ready"
    new_id id
    run_detached "$id" "$B"
    wait_file "$TEST_TMP/shared/ready"
    rt kill "$id" "$@" || fail "kill $id $*"
    wait_status "$id" stopped
    assert_eq "$want" "$(cat "$TEST_TMP/shared/sig" 2>/dev/null)" "kill ${*:-(no signal)} delivers $want"
    rt delete "$id" || fail "delete $id"
}
kill_and_check TERM 15
kill_and_check TERM TERM
kill_and_check TERM SIGTERM
kill_and_check TERM
kill_and_check HUP 1
kill_and_check USR1 SIGUSR1

# SIGKILL by number on a process without handlers
set_args "$B" sleep 600
new_id ID
run_detached "$ID" "$B"
rt kill "$ID" 9 || fail "kill 9"
wait_status "$ID" stopped
pass "kill 9 stops the container"

# kill of a stopped container fails, so does a bogus signal name
if rt kill "$ID" KILL 2>/dev/null; then fail "kill of a stopped container succeeded"; fi
pass "kill of a stopped container fails"
rt delete "$ID"
new_id ID
run_detached "$ID" "$B"
out=$(rtc kill "$ID" NOTASIGNAL 2>&1) && fail "kill with an unknown signal name succeeded"
pass "unknown signal name rejected: $out"
assert_eq running "$(state_of "$ID" status)" "container untouched by a rejected kill"
rt kill "$ID" KILL; wait_status "$ID" stopped; rt delete "$ID"

# --all: every process of the container gets the signal, not just pid 1
set_args "$B" sh -c 'sleep 600 & sleep 600 & echo ready >/shared/ready; wait'
rm -f "$TEST_TMP/shared/ready"
new_id ID
run_detached "$ID" "$B"
wait_file "$TEST_TMP/shared/ready"
pids=$(rtc ps --format json "$ID" | jq -r '.[]')
assert_eq 3 "$(echo "$pids" | wc -w)" "three processes before kill --all"
rt kill --all "$ID" KILL || fail "kill --all"
for p in $pids; do wait_gone "$p"; done
pass "kill --all KILL ends every process"
wait_status "$ID" stopped
rt delete "$ID" || fail "delete after kill --all"

# signal 0 delivers nothing: it succeeds while the init is alive and fails, naming
# the container, once it is gone
set_args "$B" sleep 600
new_id ID
run_detached "$ID" "$B"
rt kill "$ID" 0 || fail "kill $ID 0 of a running container"
assert_eq running "$(state_of "$ID" status)" "kill 0 leaves the container running"
rt kill "$ID" KILL; wait_status "$ID" stopped
out=$(rtc kill "$ID" 0 2>&1) && fail "kill 0 of a stopped container succeeded"
assert_contains "$out" "not running" "kill 0 of a stopped container fails: $out"
rt delete "$ID"
