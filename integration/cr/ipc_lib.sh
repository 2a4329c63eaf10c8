# Helpers of the cr/ipc tests (sourced after ../lib.sh and cr_lib.sh).

ipc_workload() {
    [ -n "${CR_IPC_WORKLOAD:-}" ] && [ -x "$CR_IPC_WORKLOAD" ] || skip "CR_IPC_WORKLOAD (ipcwork) is not built"
    echo "$CR_IPC_WORKLOAD"
}

# ipc_roundtrip MODE: an ipcwork MODE container checkpointed, deleted,
# restored and verified by the workload.
ipc_roundtrip() {
    local mode=$1
    B=$TEST_TMP/bundle
    cr_bundle_bin "$B" "$(ipc_workload)" "$mode"
    new_id ID
    run_detached "$ID" "$B"
    wait_file "$B.shared/ready" 20
    cr_roundtrip "$ID" "$B"
    grep -q "IPC namespace restored" "$TEST_TMP/img.$CR_ROUND.rwork/restore.log" ||
        fail "restore.log does not mention the IPC namespace: $(cat "$TEST_TMP/img.$CR_ROUND.rwork/restore.log")"
    pass "checkpointed and restored ($(grep 'IPC namespace:' "$TEST_TMP/img.$CR_ROUND.work/dump.log" | sed 's/^[^]]*] //'))"
    cr_verify "$ID" "$B.shared"
}
