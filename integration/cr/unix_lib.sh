# Helpers for the cr/net AF_UNIX tests (sourced after ../lib.sh and cr_lib.sh).

unix_workload() {
    [ -n "${CR_UNIX_WORKLOAD:-}" ] && [ -x "$CR_UNIX_WORKLOAD" ] || skip "CR_UNIX_WORKLOAD (unixwork) is not built"
    echo "$CR_UNIX_WORKLOAD"
}

# unix_roundtrip MODE: the workload sets up its sockets, is checkpointed,
# deleted and restored, then checks them itself.
unix_roundtrip() {
    local mode=$1
    B=$TEST_TMP/bundle
    cr_bundle_bin "$B" "$(unix_workload)" "$mode"
    # UNIX_CONFIG_EDIT: a jq filter a test applies to the bundle's config.json.
    if [ -n "${UNIX_CONFIG_EDIT:-}" ]; then edit_config "$B" "$UNIX_CONFIG_EDIT"; fi
    new_id ID
    run_detached "$ID" "$B"
    wait_file "$B.shared/ready" 20
    # UNIX_BEFORE_CHECKPOINT: a command a test runs on the set-up container before the checkpoints.
    if [ -n "${UNIX_BEFORE_CHECKPOINT:-}" ]; then eval "$UNIX_BEFORE_CHECKPOINT" || fail "$UNIX_BEFORE_CHECKPOINT"; fi
    # A --leave-running checkpoint first: it must leave every queue as it was
    # (the workload checks the data once, after the real round trip).
    cr_checkpoint "$ID" "$TEST_TMP/img.lr" --leave-running || fail "--leave-running checkpoint: $(cat "$TEST_TMP/ckpt.err")"
    assert_eq running "$(state_of "$ID" status)" "status after --leave-running"
    cr_roundtrip "$ID" "$B"
    pass "$mode: checkpointed and restored"
    cr_verify "$ID" "$B.shared"
    pass "$mode: the sockets' state survived checkpoint and restore"
}
