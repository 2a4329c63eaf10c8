#!/bin/bash
# AF_UNIX (fds): a file descriptor in flight (SCM_RIGHTS) is refused by name:
# the checkpoint fails naming the socket, fd and pid, the container keeps
# running untraced, and the message with its fd is still there to receive.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
source "$(dirname "$0")/unix_lib.sh"
require_root

B=$TEST_TMP/bundle
cr_bundle_bin "$B" "$(unix_workload)" fds
new_id ID
run_detached "$ID" "$B"
wait_file "$B.shared/ready" 20
if cr_checkpoint "$ID" "$TEST_TMP/img"; then fail "checkpoint with an fd in flight succeeded"; fi
grep -q "SCM_RIGHTS" "$TEST_TMP/ckpt.err" || fail "error does not name SCM_RIGHTS: $(cat "$TEST_TMP/ckpt.err")"
grep -Eq "unix socket:\[[0-9]+\].*fd [0-9]+ of pid [0-9]+" "$TEST_TMP/ckpt.err" || fail "error does not name the socket, fd and pid: $(cat "$TEST_TMP/ckpt.err")"
pass "refused: $(head -c 300 "$TEST_TMP/ckpt.err")"
assert_eq running "$(state_of "$ID" status)" "status after the refused checkpoint"
cr_untraced "$(state_of "$ID" pid)"
cr_verify "$ID" "$B.shared"
pass "the fd in flight is still there and works"
