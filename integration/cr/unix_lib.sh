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
    new_id ID
    run_detached "$ID" "$B"
    wait_file "$B.shared/ready" 20
    cr_roundtrip "$ID" "$B"
    pass "$mode: checkpointed and restored"
    cr_verify "$ID" "$B.shared"
    pass "$mode: the sockets' state survived checkpoint and restore"
}
