#!/bin/bash
# ps: --format json is an array of host pids that exist and belong to the
# container; the table form has a header and a row per process.
source "$(dirname "$0")/../lib.sh"

B=$TEST_TMP/bundle
mkdir -p "$TEST_TMP/shared"
make_bundle "$B" sh -c 'sleep 600 & echo ready >/shared/ready; wait'
add_bind "$B" "$TEST_TMP/shared" /shared
new_id ID
run_detached "$ID" "$B"
wait_file "$TEST_TMP/shared/ready"
init=$(state_of "$ID" pid)

json=$(rtc ps --format json "$ID") || fail "ps --format json"
echo "$json" | jq -e 'type == "array" and all(.[]; type == "number")' >/dev/null || fail "ps json is not an array of numbers: $json"
assert_eq 2 "$(echo "$json" | jq length)" "two processes"
echo "$json" | jq -e --argjson p "$init" 'index($p) != null' >/dev/null || fail "ps json lacks init pid $init: $json"
pass "ps json has the init pid"
for p in $(echo "$json" | jq '.[]'); do
    pid_alive "$p" || fail "ps pid $p does not exist on the host"
    assert_eq "$(readlink /proc/"$init"/ns/pid)" "$(readlink /proc/"$p"/ns/pid)" "pid $p is in the container"
done
json2=$(rtc ps --format=json "$ID") || fail "ps --format=json"
assert_eq "$json" "$json2" "--format=json form"

table=$(rtc ps "$ID") || fail "ps table"
head=$(echo "$table" | head -1)
assert_contains "$head" PID "table header has PID"
assert_contains "$head" CMD "table header has CMD"
assert_eq 3 "$(echo "$table" | wc -l)" "table: header and two rows"
assert_contains "$table" "sleep 600" "table shows the command"
table2=$(rtc ps --format table "$ID") || fail "ps --format table"
assert_eq 3 "$(echo "$table2" | wc -l)" "--format table"
