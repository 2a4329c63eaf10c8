#!/bin/bash
# podman --runtime $MYRT run --rm: output, exit code, and nothing left behind.
source "$(dirname "$0")/../lib.sh"
podman_setup

out=$(pm run --rm "${PODMAN_RUN_FLAGS[@]}" "$PODMAN_IMAGE" echo hi </dev/null 2>"$TEST_TMP/err") ||
    fail "podman run --rm: $(cat "$TEST_TMP/err")"
assert_eq hi "$out" "podman run --rm echo hi"

pm run --rm "${PODMAN_RUN_FLAGS[@]}" "$PODMAN_IMAGE" sh -c 'exit 5' </dev/null 2>/dev/null
assert_eq 5 "$?" "exit code through podman"

out=$(pm run --rm "${PODMAN_RUN_FLAGS[@]}" --hostname podhost -e FOO=bar -w /tmp --user 1000:1000 "$PODMAN_IMAGE" \
      sh -c 'echo "$(hostname) $FOO $(pwd) $(id -u)"' </dev/null 2>"$TEST_TMP/err") || fail "podman run with options: $(cat "$TEST_TMP/err")"
assert_eq "podhost bar /tmp 1000" "$out" "podman's hostname, env, workdir and user reach the process"

assert_eq "" "$(pm ps -aq)" "no container left after --rm"
