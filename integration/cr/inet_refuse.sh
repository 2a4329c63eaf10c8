#!/bin/bash
# Without --tcp-established a container with an established connection is
# refused by name and keeps running, its connection intact; restore
# --tcp-close brings such connections back as closed sockets.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
source "$(dirname "$0")/inet_lib.sh"
require_root
B=$TEST_TMP/bundle
cr_bundle_bin "$B" "$(inet_workload)" estab
new_id ID
run_detached "$ID" "$B"
wait_file "$B.shared/ready" 20
if cr_checkpoint "$ID" "$TEST_TMP/img"; then fail "checkpoint of an established connection without --tcp-established succeeded"; fi
grep -Eq "TCP socket:\[[0-9]+\] 127\.0\.0\.1:[0-9]+ -> 127\.0\.0\.1:[0-9]+.*fd [0-9]+ of pid [0-9]+.*--tcp-established" "$TEST_TMP/ckpt.err" ||
    fail "error does not name the connection, fd, pid and the flag: $(cat "$TEST_TMP/ckpt.err")"
pass "refused: $(head -c 300 "$TEST_TMP/ckpt.err")"
assert_eq running "$(state_of "$ID" status)" "status after the refused checkpoint"
cr_untraced "$(state_of "$ID" pid)"
cr_verify "$ID" "$B.shared"
pass "the container runs on, its connection intact"
rt delete --force "$ID"

B=$TEST_TMP/bundle2
cr_bundle_bin "$B" "$(inet_workload)" closed
new_id ID
run_detached "$ID" "$B"
wait_file "$B.shared/ready" 20
cr_checkpoint "$ID" "$TEST_TMP/img2" --tcp-established || fail "checkpoint: $(cat "$TEST_TMP/ckpt.err")"
cr_restore "$ID" "$B" "$TEST_TMP/img2" --tcp-close || fail "restore --tcp-close: $(cat "$TEST_TMP/restore.err")"
cr_verify "$ID" "$B.shared"
pass "restore --tcp-close: the connections come back as closed sockets"
rt delete --force "$ID"

# Sockets of other kinds: packet, netlink, UDP-Lite, raw. Each refused by
# name (fd, pid, family, protocol), the container running on with it.
declare -A FAMILY=([packet]=AF_PACKET [netlink]=AF_NETLINK [udplite]=AF_INET [raw]=AF_INET)
declare -A PROTO=([packet]=PACKET [netlink]=NETLINK [udplite]=UDP-Lite [raw]=RAW)
for kind in packet netlink udplite raw; do
    B=$TEST_TMP/bundle-$kind
    cr_bundle_bin "$B" "$(inet_workload)" other "$kind"
    # packet and raw sockets need CAP_NET_RAW (runc's default spec leaves it out)
    edit_config "$B" '.process.capabilities |= with_entries(.value += ["CAP_NET_RAW"])'
    new_id ID
    run_detached "$ID" "$B"
    wait_file "$B.shared/ready" 20
    if cr_checkpoint "$ID" "$TEST_TMP/img-$kind" --tcp-established; then fail "checkpoint with a $kind socket succeeded"; fi
    grep -Eq "fd [0-9]+ of pid [0-9]+ is a socket of family ${FAMILY[$kind]} \(${PROTO[$kind]} socket:\[[0-9]+\]\): not supported" \
        "$TEST_TMP/ckpt.err" || fail "error does not name the $kind socket: $(cat "$TEST_TMP/ckpt.err")"
    pass "$kind refused: $(head -c 300 "$TEST_TMP/ckpt.err")"
    assert_eq running "$(state_of "$ID" status)" "status after the refused checkpoint ($kind)"
    cr_untraced "$(state_of "$ID" pid)"
    cr_verify "$ID" "$B.shared"
    pass "the container runs on, its $kind socket works"
    rt delete --force "$ID"
done
