#!/bin/bash
# Joining an existing namespace by path: a uts namespace held by a process the
# test starts (and kills by pid); the container sees its hostname.
source "$(dirname "$0")/../lib.sh"
require_cmd unshare

unshare --uts sh -c 'hostname joined-uts && exec sleep 600' &
holder=$!
track_pid "$holder"
for _ in $(seq 100); do [ "$(readlink /proc/$holder/ns/uts)" != "$(readlink /proc/self/ns/uts)" ] && [ "$(cat /proc/$holder/comm)" = sleep ] && break; sleep 0.05; done
[ "$(cat /proc/$holder/comm)" = sleep ] || fail "namespace holder did not start"

B=$TEST_TMP/bundle
make_bundle "$B" sh -c 'hostname; readlink /proc/self/ns/uts'
edit_config "$B" 'del(.hostname) | .linux.namespaces = [.linux.namespaces[] | select(.type != "uts")] + [{"type": "uts", "path": $p}]' --arg p "/proc/$holder/ns/uts"
out=$(run_fg "$B") || fail "run: $out $(cat "$TEST_TMP"/*.err)"
assert_eq joined-uts "$(echo "$out" | sed -n 1p)" "hostname of the joined namespace"
assert_eq "$(readlink /proc/$holder/ns/uts)" "$(echo "$out" | sed -n 2p)" "same uts namespace inode"

# a namespace path that does not exist is a clear error naming it
edit_config "$B" '.linux.namespaces |= map(if .type == "uts" then .path = "/proc/999999999/ns/uts" else . end)'
new_id ID
out=$(rtc run --bundle "$B" "$ID" </dev/null 2>&1) && fail "join of a missing namespace path succeeded"
assert_contains "$out" "/proc/999999999/ns/uts" "missing namespace path named in the error"
