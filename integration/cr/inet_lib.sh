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
