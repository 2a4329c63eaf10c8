#!/bin/bash
# Half-closed TCP connections with --tcp-established, both ends in the
# container: a client that shut down its sending side (FIN_WAIT2, the server
# CLOSE_WAIT holding the data and the FIN) and a server that shut down behind
# a full window (FIN_WAIT1, its FIN not yet sent). ss shows the same states
# and queues after restore; the workload reads every byte then EOF, gets EPIPE
# on the shut side, and the closes complete; no RST is sent. Then a peer
# outside (a netns joined by path, a veth to the test's second namespace)
# sends 1000 bytes and shuts down its side: the server's CLOSE_WAIT is refused
# by name (re-delivering an outside peer's FIN is not done yet), and the
# container runs on: it reads the bytes then EOF, answers 5000 bytes and
# closes; the peer reads them all then EOF.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
source "$(dirname "$0")/inet_lib.sh"
require_root
command -v ss >/dev/null || skip "ss (iproute2) is not installed"

# State and addresses of each connection; queues exact on the v4 pair. On the
# v6 pair the bytes in flight may move from the sender's queue to the
# receiver's while the queues are refilled (its buffer is raised for that), so
# their sum is compared.
conns() {
    nsenter -t "$1" -n ss -tanH | sort | awk '{ print $1, $4, $5 } $4 ~ /:7601$/ || $5 ~ /:7601$/ { print "  queues", $2, $3 }
        $4 ~ /:7602$/ || $5 ~ /:7602$/ { v6 += $2 + $3 } END { print "v6 pair bytes", v6 }'
}
out_rsts() { awk '/^Tcp:/ { if (!h) { for (i = 1; i <= NF; i++) if ($i == "OutRsts") c = i; h = 1 } else print $c }' "/proc/$1/net/snmp"; }

B=$TEST_TMP/bundle
cr_bundle_bin "$B" "$(inet_workload)" halfclosed
new_id ID
run_detached "$ID" "$B"
wait_file "$B.shared/ready" 20
pid=$(state_of "$ID" pid)
before=$(conns "$pid")
echo "$before"
pass "before: $(cat "$B.shared/states")"
for st in FIN-WAIT-2 CLOSE-WAIT FIN-WAIT-1; do
    grep -q "^$st " <<<"$before" || fail "no $st connection to checkpoint: $before"
done

cr_checkpoint "$ID" "$TEST_TMP/img.lr" --leave-running --tcp-established || fail "--leave-running checkpoint: $(cat "$TEST_TMP/ckpt.err")"
assert_eq "$before" "$(conns "$pid")" "connections after the --leave-running checkpoint"
cr_checkpoint "$ID" "$TEST_TMP/img" --tcp-established || fail "checkpoint: $(cat "$TEST_TMP/ckpt.err")"
cr_gone "$ID"
cr_restore "$ID" "$B" "$TEST_TMP/img" --tcp-established || fail "restore: $(cat "$TEST_TMP/restore.err")"
assert_eq running "$(state_of "$ID" status)" "status after restore"
pid=$(state_of "$ID" pid)
# The FINs are sent again on restore and acknowledged: a moment to settle.
for _ in $(seq 30); do
    after=$(conns "$pid")
    [ "$after" = "$before" ] && break
    sleep 0.1
done
assert_eq "$before" "$after" "connections (state, queues, addresses) after restore"
pass "after restore, as before: $(tr '\n' ';' <<<"$after" | tr -s ' ')"
cr_verify "$ID" "$B.shared"
pass "every byte then EOF, EPIPE on the shut side, the closes complete"
assert_eq 0 "$(out_rsts "$pid")" "RSTs sent in the restored namespace"
pass "no reset sent"
rt delete --force "$ID"

require_cmd ip
require_cmd iptables
W=$(inet_workload)
inet_veth_namespaces 3
B=$TEST_TMP/bundle-ext
cr_bundle_bin "$B" "$W" hcserver
edit_config "$B" '(.linux.namespaces[] | select(.type == "network")) |= (.path = $p)' --arg p "$SRV"
new_id ID
run_detached "$ID" "$B"
wait_file "$B.shared/listening" 20
nsenter --net="$CLI" "$W" hcclient 10.77.3.2 "$TEST_TMP/hcclient.out" &
CLIENT=$!
track_pid $CLIENT
wait_file "$B.shared/ready" 20
assert_contains "$(nsenter --net="$SRV" ss -tnH state close-wait)" "10.77.3.2:7410" "the server's connection is CLOSE-WAIT"
assert_contains "$(nsenter --net="$CLI" ss -tnH state fin-wait-2)" "10.77.3.1:" "the outside peer is FIN-WAIT-2"
if cr_checkpoint "$ID" "$TEST_TMP/img.ext" --tcp-established; then fail "checkpoint of a connection half-closed by an outside peer succeeded"; fi
grep -Eq "TCP socket:\[[0-9]+\] 10\.77\.3\.2:7410 -> 10\.77\.3\.1:[0-9]+ .*shut down by its peer outside the container \(CLOSE_WAIT\)" \
    "$TEST_TMP/ckpt.err" || fail "error does not name the connection: $(cat "$TEST_TMP/ckpt.err")"
pass "refused: $(head -c 300 "$TEST_TMP/ckpt.err")"
assert_eq running "$(state_of "$ID" status)" "status after the refused checkpoint"
assert_not_contains "$(nsenter --net="$SRV" iptables -w -S INPUT)" "DROP" "a lock rule after the refused checkpoint"
cr_verify "$ID" "$B.shared"
wait $CLIENT
assert_eq "answer 5000 EOF" "$(cat "$TEST_TMP/hcclient.out")" "what the outside peer read"
pass "the container runs on: the server read the bytes and FIN, answered and closed; the outside peer read it all"
