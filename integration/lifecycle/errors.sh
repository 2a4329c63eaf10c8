#!/bin/bash
# Bad input: clear message, exit 1, nothing left behind.
source "$(dirname "$0")/../lib.sh"

B=$TEST_TMP/bundle
make_bundle "$B" sleep 600

for cmd in state start pause resume ps; do
    out=$(rtc $cmd no-such-ctr 2>&1)
    rc=$?
    assert_eq 1 "$rc" "$cmd of an unknown id exits 1"
    assert_contains "$out" "does not exist" "$cmd of an unknown id says it does not exist"
done
out=$(rtc kill no-such-ctr KILL 2>&1) && fail "kill of an unknown id succeeded"
assert_contains "$out" "does not exist" "kill of an unknown id"
out=$(rtc exec no-such-ctr true 2>&1) && fail "exec in an unknown id succeeded"
assert_contains "$out" "does not exist" "exec in an unknown id"

new_id ID
run_detached "$ID" "$B"
pid=$(state_of "$ID" pid)
out=$(rtc create --bundle "$B" "$ID" </dev/null 2>&1)
rc=$?
assert_eq 1 "$rc" "create of an id in use exits 1"
assert_contains "$out" "exist" "message says the id exists"
strict assert_contains "$out" "$ID" "message names the id in use"
assert_eq "$pid" "$(state_of "$ID" pid)" "the existing container is untouched"
out=$(rtc run -d --bundle "$B" "$ID" </dev/null 2>&1) && fail "run -d of an id in use succeeded"
pass "run of an id in use fails"

# A config.json that is not JSON
new_id BAD
B2=$TEST_TMP/bad
mkdir -p "$B2"; cp -a "$B/rootfs" "$B2/rootfs"
echo '{ "ociVersion": "1.0.2", ' >"$B2/config.json"
out=$(rtc create --bundle "$B2" "$BAD" </dev/null 2>&1) && fail "create with truncated config.json succeeded"
strict assert_contains "$out" "config.json" "truncated config names config.json"
out=$(rtc state "$BAD" 2>&1) && fail "failed create left state behind"
assert_contains "$out" "does not exist" "nothing left after a bad config"

# A missing bundle
out=$(rtc create --bundle "$TEST_TMP/nowhere" "$BAD" </dev/null 2>&1) && fail "create with a missing bundle succeeded"
assert_contains "$out" "nowhere" "missing bundle error names the path"

# process.args empty: the message names the field
cp "$B/config.json" "$B2/config.json"
edit_config "$B2" '.process.args = []'
out=$(rtc create --bundle "$B2" "$BAD" </dev/null 2>&1) && fail "create with empty process.args succeeded"
assert_contains "$out" "args" "empty args error mentions args"
strict assert_contains "$out" "process.args" "empty args error names the JSON path process.args"
out=$(rtc state "$BAD" 2>&1) && fail "failed create left state behind"

# A binary that does not exist in the rootfs: fails, leaves no process, state or cgroup
cp "$B/config.json" "$B2/config.json"
set_args "$B2" /no/such/binary
out=$(rtc run --bundle "$B2" "$BAD" </dev/null 2>&1) && fail "run of a missing binary succeeded"
assert_contains "$out" "/no/such/binary" "exec failure names the binary"
out=$(rtc state "$BAD" 2>&1) && fail "failed run left state behind"
pass "nothing left in state after exec failure"
left=$(find /sys/fs/cgroup -maxdepth 5 -type d -name "$BAD" 2>/dev/null)
[ -z "$left" ] || fail "failed run left cgroups: $left"
pass "no cgroup left after exec failure"
[ -z "$(ls -A "$STATE" | grep -v "^$ID\$")" ] || fail "state root has leftovers: $(ls -A "$STATE")"
pass "state root clean"
