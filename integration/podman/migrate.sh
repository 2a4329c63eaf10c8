#!/bin/bash
# Kubernetes-style move between two nodes, each a separate podman storage
# root: `container checkpoint --export` on node A, `container restore
# --import` on node B under a new name. The workload's counter and its
# memory go on from where they were on A, and the archive holds what
# Kubernetes' own test checks (spec.dump, config.dump, checkpoint/inventory.img).
source "$(dirname "$0")/../lib.sh"
require_root
require_cmd criu
podman_setup
NODE_A=("${PODMAN_GLOBAL[@]}")
NODE_B_DIR=$(mktemp -d /var/tmp/myrt-integ-nodeb.XXXXXX)
NODE_B=(--root "$NODE_B_DIR/root" --runroot "$NODE_B_DIR/runroot" --tmpdir "$NODE_B_DIR/tmp"
    --storage-driver vfs --cgroup-manager=cgroupfs --events-backend=file --runtime "$MYRT")
pa() { timeout -k 5 120 podman "${NODE_A[@]}" "$@"; }
pb() { timeout -k 5 120 podman "${NODE_B[@]}" "$@"; }
on_exit "rm -rf '$NODE_B_DIR'"
on_exit "podman ${NODE_B[*]} rmi -af"
on_exit "podman ${NODE_B[*]} rm -af -t 0"
pb import "$TEST_TMP/rootfs.tar" "$PODMAN_IMAGE" >/dev/null 2>"$TEST_TMP/err" || fail "node B: podman import: $(cat "$TEST_TMP/err")"

name=m-$$
# A counter and a memory pattern in a shell variable: both must survive the move.
pa run -d "${PODMAN_RUN_FLAGS[@]}" --name "$name" "$PODMAN_IMAGE" \
    sh -c 'pat=$(seq 1 2000 | tr "\n" ,); sum=$(echo "$pat" | wc -c); i=0; while true; do i=$((i+1)); echo "tick $i $sum $(echo "$pat" | wc -c)"; sleep 0.2; done' \
    </dev/null >/dev/null 2>"$TEST_TMP/err" || fail "node A: podman run -d: $(cat "$TEST_TMP/err")"
sleep 1.5
archive=$TEST_TMP/checkpoint.tar
pa container checkpoint --export "$archive" "$name" >/dev/null 2>"$TEST_TMP/err" ||
    fail "node A: checkpoint --export: $(cat "$TEST_TMP/err")"
last=$(pa logs "$name" 2>/dev/null | tail -n1 | awk '{print $2}')
[ "${last:-0}" -gt 0 ] || fail "no counter on node A before the move"
contents=$(tar -tf "$archive")
for f in spec.dump config.dump checkpoint/inventory.img; do
    assert_contains "$contents" "$f" "the archive holds $f"
done
# Node A's exited container stays until B has restored: podman 4.3 takes the
# conmon pid file path from config.dump, and on one machine with private roots
# that path lies in A's run root (two real nodes share the default paths).
pb container restore --import "$archive" --name "$name-b" >/dev/null 2>"$TEST_TMP/err" ||
    fail "node B: restore --import: $(cat "$TEST_TMP/err")"
assert_eq running "$(pb inspect -f '{{.State.Status}}' "$name-b")" "running on node B"
sleep 1.5
logs=$(pb logs "$name-b" 2>/dev/null)
now=$(echo "$logs" | tail -n1)
n=$(echo "$now" | awk '{print $2}')
[ "${n:-0}" -gt "$last" ] || fail "counter on node B did not go on from $last: [$now]"
assert_eq "$(echo "$now" | awk '{print $3}')" "$(echo "$now" | awk '{print $4}')" "the memory pattern is intact on node B"
# The log may carry node A's history; a second "tick 1" would be a restart.
[ "$(echo "$logs" | grep -c '^tick 1 ')" -le 1 ] || fail "the workload started over on node B"
pb stop -t 1 "$name-b" >/dev/null 2>&1
pa rm -f "$name" >/dev/null 2>&1
pass "container moved from node A to node B and went on counting from $last"
