#!/bin/bash
# `run -d`: returns at once, the container keeps running, pid file is exact.
source "$(dirname "$0")/../lib.sh"

B=$TEST_TMP/bundle
make_bundle "$B" sleep 600
new_id ID
start=$(date +%s)
run_detached "$ID" "$B" --pid-file "$TEST_TMP/pid"
[ $(( $(date +%s) - start )) -lt 10 ] || fail "run -d did not return promptly"
assert_eq running "$(state_of "$ID" status)" "status after run -d"
pid=$(state_of "$ID" pid)
assert_eq "$pid" "$(cat "$TEST_TMP/pid")" "pid file names the container's pid"
assert_eq 0 "$(tr -d '0-9' <"$TEST_TMP/pid" | wc -c)" "pid file holds digits only, no newline"
assert_eq sleep "$(cat /proc/"$pid"/comm)" "pid runs the container process"
# the container is in its own pid namespace, where it is pid 1
[ "$(readlink /proc/"$pid"/ns/pid)" != "$(readlink /proc/self/ns/pid)" ] || fail "container shares the host pid namespace"
assert_eq 1 "$(awk '/^NSpid:/ {print $NF}' /proc/"$pid"/status)" "container process is pid 1 in its namespace"

rt kill "$ID" KILL || fail "kill"
wait_status "$ID" stopped
rt delete "$ID" || fail "delete"
wait_gone "$pid"
pass "stopped and deleted"
