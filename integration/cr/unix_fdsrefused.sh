#!/bin/bash
# AF_UNIX (fds refused): fds in flight the restore could not rebuild are
# refused by name before anything is written; the container keeps running
# untraced and the message with its fd is still there to receive.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
source "$(dirname "$0")/unix_lib.sh"
require_root

refused() {
    local kind=$1 pattern=$2
    local B=$TEST_TMP/bundle-$kind
    cr_bundle_bin "$B" "$(unix_workload)" fdsrefused "$kind"
    new_id ID
    run_detached "$ID" "$B"
    wait_file "$B.shared/ready" 20
    if cr_checkpoint "$ID" "$TEST_TMP/img-$kind"; then fail "$kind: checkpoint with that fd in flight succeeded"; fi
    grep -Eq "$pattern" "$TEST_TMP/ckpt.err" || fail "$kind: error does not say '$pattern': $(cat "$TEST_TMP/ckpt.err")"
    grep -Eq "in flight" "$TEST_TMP/ckpt.err" || fail "$kind: error does not say 'in flight': $(cat "$TEST_TMP/ckpt.err")"
    pass "$kind refused: $(head -c 300 "$TEST_TMP/ckpt.err")"
    assert_eq running "$(state_of "$ID" status)" "$kind: status after the refused checkpoint"
    cr_untraced "$(state_of "$ID" pid)"
    cr_verify "$ID" "$B.shared"
    pass "$kind: the fd in flight is still there"
    "$MYRT" --root "$STATE" delete --force "$ID" >/dev/null 2>&1 || true
}

refused listener "unix listener socket:\[[0-9]+\] /tmp/inflight-listener.sock in flight"
refused inet "a socket of family 2 \(socket:\[[0-9]+\]\) in flight"
refused other "unix socket:\[[0-9]+\] \(unnamed\) \(fd [0-9]+ of pid [0-9]+\)"
