#!/bin/bash
# podman run -t: conmon passes --console-socket; the process sees a terminal.
# `script` gives podman the terminal it wants on its own stdin.
source "$(dirname "$0")/../lib.sh"
require_cmd script
podman_setup

cmd="podman ${PODMAN_GLOBAL[*]} run --rm -t ${PODMAN_RUN_FLAGS[*]} $PODMAN_IMAGE sh -c 'tty; [ -t 0 ] && echo stdin-tty; echo hello'"
out=$(timeout -k 5 120 script -qefc "$cmd" /dev/null </dev/null 2>&1 | tr -d '\r') || fail "podman run -t: $out"
assert_match "$(echo "$out" | grep '^/dev/')" '^/dev/pts/[0-9]+$' "tty inside podman run -t"
assert_contains "$out" stdin-tty "stdin is the terminal"
assert_contains "$out" hello "output through the terminal"
