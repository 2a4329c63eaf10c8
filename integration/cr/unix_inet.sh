#!/bin/bash
# AF_UNIX (inet): sockets of other families are still refused, by name: the
# checkpoint fails naming the fd, the pid and the family, and the container
# keeps running untraced.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
source "$(dirname "$0")/unix_lib.sh"
require_root

B=$TEST_TMP/bundle
cr_bundle_bin "$B" "$(unix_workload)" inet
new_id ID
run_detached "$ID" "$B"
wait_file "$B.shared/ready" 20
if cr_checkpoint "$ID" "$TEST_TMP/img"; then fail "checkpoint with an AF_INET socket succeeded"; fi
grep -Eq "fd [0-9]+ of pid [0-9]+ is a socket of family AF_INET" "$TEST_TMP/ckpt.err" ||
    fail "error does not name fd, pid and family: $(cat "$TEST_TMP/ckpt.err")"
pass "refused: $(head -c 300 "$TEST_TMP/ckpt.err")"
assert_eq running "$(state_of "$ID" status)" "status after the refused checkpoint"
cr_untraced "$(state_of "$ID" pid)"
cr_verify "$ID" "$B.shared"
pass "the container runs on with its socket"
