#!/bin/bash
# pause freezes every process (a counter stops), state says "paused"; resume
# thaws them (the counter continues).
source "$(dirname "$0")/../lib.sh"

B=$TEST_TMP/bundle
mkdir -p "$TEST_TMP/shared"
make_bundle "$B" sh -c 'i=0; while :; do i=$((i+1)); echo $i >/shared/count.tmp; mv /shared/count.tmp /shared/count; sleep 0.02; done'
add_bind "$B" "$TEST_TMP/shared" /shared
new_id ID
run_detached "$ID" "$B"
wait_file "$TEST_TMP/shared/count"
count() { cat "$TEST_TMP/shared/count"; }
# advances_from N: the counter passes N within 10 s (polling copes with a loaded machine)
advances_from() {
    local i
    for ((i = 0; i < 200; i++)); do [ "$(count)" -gt "$1" ] && return 0; sleep 0.05; done
    return 1
}

a=$(count)
advances_from "$a" || fail "counter does not advance before pause (stuck at $a)"
pass "counter advances while running"

rt pause "$ID" || fail "pause"
assert_eq paused "$(state_of "$ID" status)" "status after pause"
assert_eq paused "$(rtc list -f json | jq -r --arg i "$ID" '.[] | select(.id == $i) | .status')" "list shows paused"
pid=$(state_of "$ID" pid)
sleep 0.1
a=$(count); sleep 0.5; b=$(count)
assert_eq "$a" "$b" "counter frozen while paused"
out=$(rtc exec "$ID" true </dev/null 2>&1) && fail "exec into a paused container succeeded"
pass "exec into a paused container refused"
out=$(rtc pause "$ID" 2>&1) && fail "pause of a paused container succeeded"
pass "second pause refused: $out"

rt resume "$ID" || fail "resume"
assert_eq running "$(state_of "$ID" status)" "status after resume"
advances_from "$b" || fail "counter did not continue after resume (stuck at $b)"
pass "counter continues after resume"
out=$(rtc resume "$ID" 2>&1) && fail "resume of a running container succeeded"
pass "resume of a running container refused: $out"

# a paused container can be killed and force-deleted
rt pause "$ID" || fail "pause again"
rt delete --force "$ID" || fail "delete --force of a paused container"
wait_gone "$pid"
pass "delete --force of a paused container"
