# Helpers for the hostile-image tests (sourced after ../lib.sh and cr_lib.sh).
# The container runs as uid 1000 with no_new_privs and the default (tiny)
# capability set; the workload (workloads/hostilework.c) holds one object.
# The tests make that object's file root-only on the host between checkpoint
# and restore: the restore must then fail naming the path, as the task itself
# would fail to open it, and leave nothing behind.

hostile_workload() {
    [ -n "${CR_HOSTILE_WORKLOAD:-}" ] && [ -x "$CR_HOSTILE_WORKLOAD" ] || skip "CR_HOSTILE_WORKLOAD (hostilework) is not built"
    echo "$CR_HOSTILE_WORKLOAD"
}

# hostile_bundle MODE PATH: bundle $B running `hostilework MODE PATH` as
# 1000:1000 with noNewPrivileges; /data in the rootfs and /shared (the
# bind-mounted $B.shared) belong to uid 1000.
hostile_bundle() {
    B=$TEST_TMP/bundle
    cr_bundle_bin "$B" "$(hostile_workload)" "$@"
    edit_config "$B" '.process.user = {"uid": 1000, "gid": 1000} | .process.noNewPrivileges = true'
    mkdir -p "$B/rootfs/data"
    chown 1000:1000 "$B/rootfs/data" "$B.shared"
}

# hostile_start [CHECKPOINT_FLAGS...]: runs the container, waits until its
# object is set up and checkpoints it (the container is gone after); the image
# is $IMG.
hostile_start() {
    rm -f "$B.shared/ready" "$B.shared/result"
    new_id ID
    run_detached "$ID" "$B"
    wait_file "$B.shared/ready" 20
    [ "$(cat "$B.shared/ready")" = PASS ] || fail "workload setup: $(cat "$B.shared/ready")"
    IMG=$TEST_TMP/img
    ORIG_IMG=""
    rm -rf "$IMG" "$IMG.work" "$IMG.rwork"
    cr_checkpoint "$ID" "$IMG" "$@" || fail "checkpoint: $(cat "$TEST_TMP/ckpt.err")"
    rt delete "$ID" >/dev/null 2>&1 || rt delete --force "$ID" >/dev/null 2>&1
}

# nothing_left: no container $ID and no process left in the bundle's rootfs.
nothing_left() {
    [ -z "$(rt list -q 2>/dev/null | grep -x "$ID")" ] || fail "$1: the refused restore left container $ID listed"
    local p
    for p in /proc/[0-9]*; do
        [ "$(readlink "$p/root" 2>/dev/null)" = "$B/rootfs" ] && fail "$1: process ${p#/proc/} is left in the container's rootfs"
    done
    return 0
}

# refused WHAT WORDS...: the restore of $IMG fails, its message holds every WORD,
# and nothing is left behind.
refused() {
    local what=$1 w
    shift
    if cr_restore "$ID" "$B" "$IMG"; then
        fail "$what: restore succeeded"
    fi
    for w in "$@"; do assert_contains "$(cat "$TEST_TMP/restore.err")" "$w" "$what: the restore's error"; done
    nothing_left "$what"
    pass "$what: refused ($(tail -c 300 "$TEST_TMP/restore.err" | tr '\n' ' '))"
}

# restores WHAT: the restore of $IMG succeeds and the workload says PASS.
restores() {
    cr_restore "$ID" "$B" "$IMG" || fail "$1: restore failed: $(cat "$TEST_TMP/restore.err")"
    cr_verify "$ID" "$B.shared"
    pass "$1: restored and checked"
    rt delete --force "$ID" >/dev/null 2>&1
}

# forged NAME EDIT...: $IMG becomes a copy of the checkpointed image ($ORIG_IMG,
# set by the first call) with image_forge's EDITs applied, checksums recomputed.
forged() {
    [ -x "${IMAGE_FORGE:-}" ] || skip "needs the image_forge helper (IMAGE_FORGE, built by CMake)"
    local name=$1
    shift
    ORIG_IMG=${ORIG_IMG:-$IMG}
    IMG=$TEST_TMP/forged
    rm -rf "$IMG" "$IMG.work" "$IMG.rwork"
    mkdir -p "$IMG"
    "$IMAGE_FORGE" edit "$ORIG_IMG/myrt.img" "$IMG/myrt.img" "$@" 2>"$TEST_TMP/forge.err" ||
        fail "$name: image_forge $*: $(cat "$TEST_TMP/forge.err")"
}

# original: $IMG is the checkpointed image again.
original() { IMG=${ORIG_IMG:-$IMG}; }

# image_show JQ: JQ applied to image_forge's view of the checkpointed image.
image_show() {
    [ -x "${IMAGE_FORGE:-}" ] || skip "needs the image_forge helper (IMAGE_FORGE, built by CMake)"
    "$IMAGE_FORGE" show "${ORIG_IMG:-$IMG}/myrt.img" | jq -r "$1"
}
