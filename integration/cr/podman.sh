#!/bin/bash
# podman container checkpoint / restore with myrt as the runtime: podman
# calls `myrt checkpoint` and `myrt restore` as it calls runc's, checks
# inventory.img, and reads stats-dump with --print-stats. A counter inside
# continues after restore.
source "$(dirname "$0")/../lib.sh"
podman_setup

name=c-$$
# The counter file is replaced by rename, never truncated, so a read from
# outside never sees it empty. Podman's default seccomp profile applies.
pm run -d "${PODMAN_RUN_FLAGS[@]}" --name "$name" "$PODMAN_IMAGE" \
    sh -c 'i=0; while :; do i=$((i+1)); echo $i >/tmp/n.new; mv -f /tmp/n.new /tmp/n; sleep 0.05; done' </dev/null >/dev/null 2>"$TEST_TMP/err" ||
    fail "podman run -d: $(cat "$TEST_TMP/err")"
n() { pm exec "$name" cat /tmp/n </dev/null; }
sleep 0.5
pm container checkpoint --print-stats "$name" </dev/null >"$TEST_TMP/stats.json" 2>"$TEST_TMP/err" ||
    fail "podman container checkpoint: $(cat "$TEST_TMP/err")"
assert_eq exited "$(pm inspect -f '{{.State.Status}}' "$name")" "status after checkpoint"
jq -e '.container_statistics[0].runtime_checkpoint_duration > 0' "$TEST_TMP/stats.json" >/dev/null ||
    fail "podman --print-stats: no runtime checkpoint duration in $(cat "$TEST_TMP/stats.json")"
pass "podman checkpoint"
pm container restore "$name" </dev/null >/dev/null 2>"$TEST_TMP/err" || fail "podman container restore: $(cat "$TEST_TMP/err")"
assert_eq running "$(pm inspect -f '{{.State.Status}}' "$name")" "status after restore"
a=$(n)
sleep 0.5
b=$(n)
[ "$b" -gt "$a" ] || fail "counter not advancing after podman restore ($a then $b)"
pass "podman restore: counter continues ($a -> $b)"
