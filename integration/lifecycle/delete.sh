#!/bin/bash
# delete: refuses a running container without --force; --force kills and removes
# it, with its cgroup; delete of a created (never started) container.
source "$(dirname "$0")/../lib.sh"

B=$TEST_TMP/bundle
make_bundle "$B" sleep 600
new_id ID
run_detached "$ID" "$B"
pid=$(state_of "$ID" pid)
cg=$(cgroup_dir "$pid" pids) || fail "no pids cgroup for $pid"
[ -d "$cg" ] || fail "cgroup dir $cg missing"

out=$(rtc delete "$ID" 2>&1) && fail "delete of a running container without --force succeeded"
pass "delete without --force refused: $out"
assert_eq running "$(state_of "$ID" status)" "container still running after refused delete"

rt delete --force "$ID" || fail "delete --force"
wait_gone "$pid"
pass "delete --force killed the process"
out=$(rtc state "$ID" 2>&1) && fail "state after delete --force succeeded"
assert_contains "$out" "does not exist" "state after delete --force"
[ ! -d "$cg" ] || fail "cgroup $cg left behind by delete --force"
pass "cgroup removed"

# a created container: delete --force kills the waiting init
new_id ID
rt create --bundle "$B" "$ID" </dev/null >/dev/null 2>&1 || fail "create"
pid=$(state_of "$ID" pid)
rt delete --force "$ID" || fail "delete --force of a created container"
wait_gone "$pid"
pass "delete --force of a created container"

# delete of an unknown container fails and says so; --force on it is quiet success
out=$(rtc delete no-such-ctr 2>&1) && fail "delete of an unknown id succeeded"
assert_contains "$out" "does not exist" "delete of an unknown id"
rt delete --force no-such-ctr || fail "delete --force of an unknown id should succeed"
pass "delete --force of an unknown id succeeds"
