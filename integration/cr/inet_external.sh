#!/bin/bash
# A client outside the container: the container joins, by path, a network
# namespace the test made; a veth pair links it to a second namespace of the
# test's own (addresses 10.77.0.1 and .2, nothing on the host's). A client
# there keeps one TCP connection to a server in the container and sends a
# request every 10 ms through checkpoint --tcp-established and restore: no
# request lost or answered twice, never a reset; the longest gap is reported.
# The joined namespace is external: not saved, the restore joins it again.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
source "$(dirname "$0")/inet_lib.sh"
require_root
require_cmd ip
require_cmd iptables
W=$(inet_workload)

inet_veth_namespaces 0
nsenter --net="$SRV" iptables -w -L INPUT -n >/dev/null 2>&1 || skip "iptables does not work in a network namespace here"

B=$TEST_TMP/bundle
cr_bundle_bin "$B" "$W" server
edit_config "$B" '(.linux.namespaces[] | select(.type == "network")) |= (.path = $p)' --arg p "$SRV"
new_id ID
run_detached "$ID" "$B"
wait_file "$B.shared/ready" 20
nsenter --net="$CLI" "$W" client 10.77.0.2 "$TEST_TMP/stop" "$TEST_TMP/client.out" &
CLIENT=$!
track_pid $CLIENT
sleep 1
# --leave-running: the connection leaves repair mode and the lock goes at once.
cr_checkpoint "$ID" "$TEST_TMP/img.lr" --tcp-established --leave-running || fail "--leave-running checkpoint: $(cat "$TEST_TMP/ckpt.err")"
assert_not_contains "$(nsenter --net="$SRV" iptables -w -S INPUT)" "DROP" "the lock rule after --leave-running"
pass "--leave-running: no drop rule left"
sleep 0.5
kill -0 $CLIENT 2>/dev/null || fail "the client ended after the --leave-running checkpoint: $(cat "$TEST_TMP/client.out")"
cr_checkpoint "$ID" "$TEST_TMP/img" --tcp-established || fail "checkpoint: $(cat "$TEST_TMP/ckpt.err")"
# While the container is gone its connection is locked (a DROP rule), so its
# address does not reset the client.
rules=$(nsenter --net="$SRV" iptables -w -S INPUT)
assert_contains "$rules" "-s 10.77.0.1/32 -d 10.77.0.2/32 -p tcp -m tcp --sport" "the lock rule while checkpointed"
assert_contains "$rules" "--dport 7400 -j DROP" "the lock rule while checkpointed"
sleep 0.5
kill -0 $CLIENT 2>/dev/null || fail "the client ended while the container was checkpointed: $(cat "$TEST_TMP/client.out")"
cr_restore "$ID" "$B" "$TEST_TMP/img" --tcp-established || fail "restore: $(cat "$TEST_TMP/restore.err")"
sleep 2
touch "$TEST_TMP/stop"
wait $CLIENT
out=$(cat "$TEST_TMP/client.out")
case "$out" in
requests*) pass "client across the veth: $out (one connection, every answer in order)" ;;
*) fail "client: $out" ;;
esac
rules=$(nsenter --net="$SRV" iptables -w -S INPUT)
assert_not_contains "$rules" "DROP" "the lock rule after restore"
pass "no drop rule left in the namespace"
