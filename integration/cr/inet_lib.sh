# Helpers for the cr/net TCP and UDP tests (sourced after ../lib.sh and cr_lib.sh).

inet_workload() {
    [ -n "${CR_INET_WORKLOAD:-}" ] && [ -x "$CR_INET_WORKLOAD" ] || skip "CR_INET_WORKLOAD (inetwork) is not built"
    echo "$CR_INET_WORKLOAD"
}

# inet_roundtrip MODE [checkpoint flags...]: the workload sets up its sockets;
# a --leave-running checkpoint must leave them as they were; then a real
# checkpoint, restore, and the workload checks them itself.
inet_roundtrip() {
    local mode=$1
    shift
    B=$TEST_TMP/bundle
    cr_bundle_bin "$B" "$(inet_workload)" "$mode"
    new_id ID
    run_detached "$ID" "$B"
    wait_file "$B.shared/ready" 20
    cr_checkpoint "$ID" "$TEST_TMP/img.lr" --leave-running "$@" || fail "--leave-running checkpoint: $(cat "$TEST_TMP/ckpt.err")"
    assert_eq running "$(state_of "$ID" status)" "status after --leave-running"
    cr_checkpoint "$ID" "$TEST_TMP/img" "$@" || fail "checkpoint: $(cat "$TEST_TMP/ckpt.err")"
    cr_gone "$ID"
    cr_restore "$ID" "$B" "$TEST_TMP/img" "${INET_RESTORE_FLAGS[@]}" || fail "restore: $(cat "$TEST_TMP/restore.err")"
    assert_eq running "$(state_of "$ID" status)" "status after restore"
    pass "$mode: checkpointed and restored"
    cr_verify "$ID" "$B.shared"
    pass "$mode: the sockets' state survived checkpoint and restore"
}
INET_RESTORE_FLAGS=()

# inet_veth_namespaces NET: two network namespaces of the test's own, joined
# by a veth pair: SRV (the one a container joins by path) with 10.77.NET.2 and
# CLI (its clients) with 10.77.NET.1, lo up in both. Sets SRV and CLI (the
# namespace files) and HOLDER (a process in CLI, for `ip link ... netns`).
inet_veth_namespaces() {
    local net=$1
    SRV=$TEST_TMP/netns.srv CLI=$TEST_TMP/netns.cli
    touch "$SRV" "$CLI"
    unshare --net="$SRV" true || skip "cannot make a persistent network namespace (unshare --net=FILE)"
    on_exit "umount '$SRV' 2>/dev/null"
    unshare --net="$CLI" true || fail "second namespace"
    on_exit "umount '$CLI' 2>/dev/null"
    nsenter --net="$CLI" sleep 600 &
    HOLDER=$!
    track_pid $HOLDER
    nsenter --net="$SRV" ip link add "veth-srv$net" type veth peer name "veth-cli$net" netns $HOLDER || skip "no veth support"
    nsenter --net="$SRV" ip addr add "10.77.$net.2/24" dev "veth-srv$net"
    nsenter --net="$CLI" ip addr add "10.77.$net.1/24" dev "veth-cli$net"
    local ns
    for ns in "$SRV" "$CLI"; do
        nsenter --net="$ns" ip link set lo up
        nsenter --net="$ns" ip link set "veth-$([ "$ns" = "$SRV" ] && echo srv || echo cli)$net" up
    done
}
