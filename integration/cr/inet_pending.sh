#!/bin/bash
# Connections waiting in a listener's accept queue, their clients in the
# container: restored by the client connecting again, in queue order, so
# accept() after restore returns them oldest first and they talk; with the
# data a client sent before accept().
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
source "$(dirname "$0")/inet_lib.sh"
require_root
inet_roundtrip pending
rt delete --force "$ID"

# Early data: the second client sent 5 bytes before accept(). The checkpoint
# accepts the queue to read them; the --leave-running checkpoint must put both
# connections back (same order, same addresses, the data again); after the
# restore they are accepted oldest first, the data read first.
ss_queue() { nsenter -t "$(state_of "$ID" pid)" -n ss -tnH state established '( sport = :7501 )' | awk '{ print $1, $3, $4 }' | sort; }
B=$TEST_TMP/bundle2
cr_bundle_bin "$B" "$(inet_workload)" early
new_id ID
run_detached "$ID" "$B"
wait_file "$B.shared/ready" 20
before=$(ss_queue)
grep -q "^5 " <<<"$before" || fail "no pending connection holding 5 bytes: $before"
cr_checkpoint "$ID" "$TEST_TMP/img2.lr" --leave-running || fail "--leave-running checkpoint: $(cat "$TEST_TMP/ckpt.err")"
assert_eq "$before" "$(ss_queue)" "the accept queue (bytes, addresses) after the --leave-running checkpoint"
pass "--leave-running: the pending connections are back in the queue with their data"
cr_checkpoint "$ID" "$TEST_TMP/img2" || fail "checkpoint: $(cat "$TEST_TMP/ckpt.err")"
cr_gone "$ID"
cr_restore "$ID" "$B" "$TEST_TMP/img2" || fail "restore: $(cat "$TEST_TMP/restore.err")"
assert_eq "$before" "$(ss_queue)" "the accept queue after restore"
cr_verify "$ID" "$B.shared"
pass "early data: both pending connections accepted oldest first after restore, the data sent before accept() read"
