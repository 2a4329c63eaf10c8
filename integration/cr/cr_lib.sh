# Helpers for the checkpoint/restore tests (sourced after ../lib.sh).
#
# cr_bundle DIR MODE [ARG]: a busybox bundle whose process is `crwork MODE
# ARG` (workloads/crwork.c) with $DIR.shared bind-mounted at /shared; the
# workload writes /shared/ready when set up and /shared/result (PASS/FAIL)
# after SIGUSR1.

cr_workload_bin() {
    if [ -n "${CR_WORKLOAD:-}" ] && [ -x "$CR_WORKLOAD" ]; then
        echo "$CR_WORKLOAD"
        return
    fi
    local out=$TEST_TMP/crwork
    if [ ! -x "$out" ]; then
        command -v cc >/dev/null 2>&1 || skip "needs cc to build workloads/crwork.c"
        cc -O2 -Wall -static -pthread -o "$out" "$INTEG_DIR/cr/workloads/crwork.c" || fail "building crwork"
    fi
    echo "$out"
}

cr_bundle() {
    local b=$1
    shift
    make_bundle "$b" /bin/crwork "$@"
    cp "$(cr_workload_bin)" "$b/rootfs/bin/crwork" || fail "copy crwork into $b"
    mkdir -p "$b.shared"
    add_bind "$b" "$b.shared" /shared
    printf '%s\n' 'daemonize no' 'save ""' 'appendonly no' 'dir /tmp' 'logfile ""' >"$b.shared/redis.conf"
}

# cr_run_counter: the counter workload running detached in $TEST_TMP/bundle;
# sets B (the bundle) and ID, and waits for its first count. `count` prints
# the value it last wrote.
cr_run_counter() {
    B=$TEST_TMP/bundle
    cr_bundle "$B" counter
    new_id ID
    run_detached "$ID" "$B"
    wait_file "$B.shared/count" 20
}
count() { cat "$B.shared/count"; }
# counts_on_from AT: the restored counter goes past AT within 10 s without
# having started over or jumped; sets `now` to the value it reached.
counts_on_from() {
    local at=$1 i
    for ((i = 0; i < 200; i++)); do [ "$(count)" -gt "$at" ] && break; sleep 0.05; done
    now=$(count)
    [ "$now" -gt "$at" ] || fail "counter did not advance after restore (at $at, now $now)"
    [ "$now" -lt $((at + 1000)) ] || fail "counter jumped from $at to $now"
}

# cr_bundle_bin DIR BINARY [ARGS...]: like cr_bundle, for another static
# workload (one per C/R area: objects, ipc, tty, unix sockets); BINARY goes
# into the rootfs as /bin/<its name> and runs with ARGS.
cr_bundle_bin() {
    local b=$1 bin=$2
    shift 2
    [ -x "$bin" ] || fail "workload $bin is not built"
    local name
    name=$(basename "$bin")
    make_bundle "$b" "/bin/$name" "$@"
    cp "$bin" "$b/rootfs/bin/$name" || fail "copy $name into $b"
    mkdir -p "$b.shared"
    add_bind "$b" "$b.shared" /shared
}

# cr_checkpoint ID IMAGE_DIR [flags...]
cr_checkpoint() {
    local id=$1 dir=$2
    shift 2
    rt checkpoint --image-path "$dir" --work-path "$dir.work" "$@" "$id" </dev/null \
        >"$TEST_TMP/ckpt.out" 2>"$TEST_TMP/ckpt.err"
}

# cr_restore ID BUNDLE IMAGE_DIR [flags...]: detached restore.
cr_restore() {
    local id=$1 b=$2 dir=$3
    shift 3
    rt restore -d --bundle "$b" --image-path "$dir" --work-path "$dir.rwork" "$@" "$id" </dev/null \
        >"$TEST_TMP/restore.out" 2>"$TEST_TMP/restore.err"
}

# cr_verify ID SHARED_DIR: SIGUSR1 to the container's init, then its verdict.
cr_verify() {
    local id=$1 s=$2
    rm -f "$s/result"
    rt kill "$id" USR1 || fail "kill -USR1 $id"
    wait_file "$s/result" 20
    local r
    r=$(cat "$s/result")
    [ "$r" = PASS ] || fail "workload verdict after restore: $r"
}

# cr_untraced PID: no tracer attached (a failed or --leave-running checkpoint detached).
cr_untraced() {
    local t
    t=$(awk '/^TracerPid:/ {print $2}' "/proc/$1/status")
    [ "$t" = 0 ] || fail "process $1 is still traced by $t"
}

# cr_gone ID: after a checkpoint without --leave-running the container is gone,
# as with runc: no state directory, `state` says it does not exist, and
# `delete` (what containerd's shim runs next) says so too.
cr_gone() {
    local id=$1 out
    [ -e "$STATE/$id" ] && fail "state directory $STATE/$id remains after the checkpoint"
    out=$(rt state "$id" 2>&1) && fail "state $id succeeded after the checkpoint: $out"
    assert_contains "$out" "does not exist" "state after the checkpoint"
    out=$(rt delete "$id" 2>&1) && fail "delete $id succeeded after the checkpoint"
    assert_contains "$out" "does not exist" "delete after the checkpoint"
    rt delete --force "$id" || fail "delete --force of the checkpointed $id"
}

# cr_roundtrip ID BUNDLE: checkpoint into $TEST_TMP/img.N (the container is gone), restore;
# N counts up per call.
CR_ROUND=0
cr_roundtrip() {
    local id=$1 b=$2
    CR_ROUND=$((CR_ROUND + 1))
    local dir=$TEST_TMP/img.$CR_ROUND
    cr_checkpoint "$id" "$dir" || fail "checkpoint $id (round $CR_ROUND): $(cat "$TEST_TMP/ckpt.err")"
    [ -s "$dir/myrt.img" ] || fail "no $dir/myrt.img after checkpoint"
    cr_gone "$id"
    cr_restore "$id" "$b" "$dir" || fail "restore $id (round $CR_ROUND): $(cat "$TEST_TMP/restore.err")"
    assert_eq running "$(state_of "$id" status)" "status after restore (round $CR_ROUND)"
}

# The life of a self-checking workload test: run the container of bundle B
# (made by cr_bundle or cr_bundle_bin), wait for the workload's ready file,
# checkpoint and restore it once, then ask the workload for its verdict and
# pass WHAT. The container's id is left in CR_ID.
cr_workload_roundtrip() {
    local b=$1 what=$2
    new_id CR_ID
    run_detached "$CR_ID" "$b"
    wait_file "$b.shared/ready" 20
    cr_roundtrip "$CR_ID" "$b"
    pass "checkpointed and restored"
    cr_verify "$CR_ID" "$b.shared"
    pass "$what"
}

# cr_redis_bundle DIR: a bundle running the host's redis-server (Debian
# package) with DIR.shared/redis.conf: the host's /usr bound read-only over
# busybox's (merged /usr: libraries under /usr/lib), DIR.shared at /shared.
# The config holds what every test wants (foreground, no persistence, log to
# stdout); the caller appends where redis listens.
cr_redis_bundle() {
    local b=$1
    make_bundle "$b" /usr/bin/redis-server /shared/redis.conf
    rm -rf "$b/rootfs/usr"
    mkdir -p "$b/rootfs/usr" "$b/rootfs/run"
    ln -s usr/lib "$b/rootfs/lib"
    ln -s usr/lib64 "$b/rootfs/lib64"
    add_bind "$b" /usr /usr '["rbind","ro"]'
    mkdir -p "$b.shared"
    add_bind "$b" "$b.shared" /shared
}
