#!/bin/bash
# ctr run --rm --runc-binary $MYRT: the containerd shim drives the runtime
# (create with --log/--log-format json and a pid file, start, delete).
source "$(dirname "$0")/../lib.sh"
containerd_setup

new_id ID
out=$(c run --rm --snapshotter native --runc-binary "$MYRT" "$CTR_IMAGE" "$ID" echo hi </dev/null 2>"$TEST_TMP/err") ||
    fail "ctr run --rm: $(cat "$TEST_TMP/err")"
assert_eq hi "$out" "ctr run --rm echo hi"

new_id ID
c run --rm --snapshotter native --runc-binary "$MYRT" "$CTR_IMAGE" "$ID" sh -c 'exit 3' </dev/null >/dev/null 2>&1
assert_eq 3 "$?" "exit code through containerd"

new_id ID
out=$(c run --rm --snapshotter native --runc-binary "$MYRT" --env FOO=bar --cwd /tmp "$CTR_IMAGE" "$ID" sh -c 'echo "$FOO $(pwd) $(hostname)"' </dev/null 2>"$TEST_TMP/err") ||
    fail "ctr run with env/cwd: $(cat "$TEST_TMP/err")"
assert_contains "$out" "bar /tmp" "env and cwd from containerd's spec"

assert_eq "" "$(c container ls -q)" "no container left after --rm"
assert_eq "" "$(c task ls -q)" "no task left after --rm"
