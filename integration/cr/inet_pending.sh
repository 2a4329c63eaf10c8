#!/bin/bash
# Connections waiting in a listener's accept queue, their clients in the
# container: restored by the client connecting again, in queue order, so
# accept() after restore returns them oldest first and they talk. A pending
# connection whose client already sent data is refused by name (that data
# sits in a socket no process holds: reading it needs an accept that cannot be
# undone when the checkpoint fails or leaves the container running).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
source "$(dirname "$0")/inet_lib.sh"
require_root
inet_roundtrip pending
rt delete --force "$ID"

B=$TEST_TMP/bundle2
cr_bundle_bin "$B" "$(inet_workload)" early
new_id ID
run_detached "$ID" "$B"
wait_file "$B.shared/ready" 20
if cr_checkpoint "$ID" "$TEST_TMP/img2"; then fail "checkpoint of a pending connection with early data succeeded"; fi
grep -Eq "waiting in the accept queue of TCP socket:\[[0-9]+\] 127\.0\.0\.1:7501.*already sent 5 bytes" "$TEST_TMP/ckpt.err" ||
    fail "error does not name the pending connection and its data: $(cat "$TEST_TMP/ckpt.err")"
pass "refused: $(head -c 300 "$TEST_TMP/ckpt.err")"
assert_eq running "$(state_of "$ID" status)" "status after the refused checkpoint"
cr_verify "$ID" "$B.shared"
pass "the container runs on; both pending connections are accepted and talk"
