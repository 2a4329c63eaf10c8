#!/bin/bash
# Half-closed TCP connections with --tcp-established, both ends in the
# container: a client that shut down its sending side (FIN_WAIT2, the server
# CLOSE_WAIT holding the data and the FIN) and a server that shut down behind
# a full window (FIN_WAIT1, its FIN not yet sent). ss shows the same states
# and queues after restore; the workload reads every byte then EOF, gets EPIPE
# on the shut side, and the closes complete; no RST is sent.
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
