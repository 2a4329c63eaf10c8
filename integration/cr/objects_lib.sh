# Helpers for the objects area's tests (sourced after ../lib.sh and cr_lib.sh).

objects_bin() {
    if [ -n "${CR_OBJECTS_WORKLOAD:-}" ] && [ -x "$CR_OBJECTS_WORKLOAD" ]; then
        echo "$CR_OBJECTS_WORKLOAD"
        return
    fi
    local out=$TEST_TMP/objectswork
    if [ ! -x "$out" ]; then
        command -v cc >/dev/null 2>&1 || skip "needs cc to build workloads/objectswork.c"
        cc -O2 -Wall -static -pthread -o "$out" "$INTEG_DIR/cr/workloads/objectswork.c" || fail "building objectswork"
    fi
    echo "$out"
}

# objects_roundtrip MODE: runs `objectswork MODE` in a container, checkpoints,
# restores, and asks the workload for its verdict.
objects_roundtrip() {
    local mode=$1
    local b=$TEST_TMP/bundle
    cr_bundle_bin "$b" "$(objects_bin)" "$mode"
    new_id ID
    run_detached "$ID" "$b"
    wait_file "$b.shared/ready" 20
    cr_roundtrip "$ID" "$b"
    pass "$mode: checkpointed and restored"
    cr_verify "$ID" "$b.shared"
    pass "$mode: the state survived checkpoint and restore"
}

# objects_refused KIND: a container holding KIND (objectswork unsupported
# KIND); the checkpoint must fail naming the object, the fd and the pid, and
# the container keeps running, untraced. Skips when KIND cannot be made here.
objects_refused() {
    local kind=$1 pattern=$2
    local b=$TEST_TMP/bundle.$kind
    cr_bundle_bin "$b" "$(objects_bin)" unsupported "$kind"
    new_id ID
    run_detached "$ID" "$b"
    wait_file "$b.shared/ready" 20
    local r
    r=$(cat "$b.shared/ready")
    case $r in
    NONE*) log "cannot make $kind in a container here: $r"; rt delete -f "$ID" >/dev/null 2>&1; return 1 ;;
    esac
    local fd=${r#READY }
    local pid
    pid=$(state_of "$ID" pid)
    cr_checkpoint "$ID" "$TEST_TMP/img.$kind" && fail "checkpoint of a container holding $kind succeeded"
    local err
    err=$(cat "$TEST_TMP/ckpt.err")
    log "refused: $err"
    if [ "$fd" = - ]; then  # an object held by a mapping, not an fd
        assert_contains "$err" "process $pid" "$kind refusal names the process"
    else
        assert_contains "$err" "fd $fd of pid $pid" "$kind refusal names the fd and the pid"
    fi
    assert_contains "$err" "$pattern" "$kind refusal names the object"
    assert_eq running "$(state_of "$ID" status)" "status after the refused checkpoint"
    cr_untraced "$pid"
    [ -e "$TEST_TMP/img.$kind/myrt.img" ] && fail "a complete-looking image was left"
    local a
    a=$(cat "$b.shared/count")
    sleep 0.3
    [ "$(cat "$b.shared/count")" -gt "$a" ] || fail "the container stopped after the refused checkpoint"
    rt delete -f "$ID" >/dev/null 2>&1
    pass "$kind: checkpoint refused clearly, container running"
    return 0
}
