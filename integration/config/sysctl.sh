#!/bin/bash
# linux.sysctl applies inside the container's own ipc and net namespaces; the
# host's values stay as they were.
source "$(dirname "$0")/../lib.sh"

host_msgmax=$(cat /proc/sys/kernel/msgmax)
host_fwd=$(cat /proc/sys/net/ipv4/ip_forward)
want_msgmax=$((host_msgmax == 4096 ? 5000 : 4096))
want_fwd=$((1 - host_fwd))
B=$TEST_TMP/bundle
make_bundle "$B" sh -c 'cat /proc/sys/kernel/msgmax /proc/sys/net/ipv4/ip_forward'
edit_config "$B" '.linux.sysctl = {"kernel.msgmax": $m, "net.ipv4.ip_forward": $f}' --arg m "$want_msgmax" --arg f "$want_fwd"
out=$(run_fg "$B") || fail "run: $out $(cat "$TEST_TMP"/*.err)"
assert_eq "$want_msgmax" "$(echo "$out" | sed -n 1p)" "kernel.msgmax inside"
assert_eq "$want_fwd" "$(echo "$out" | sed -n 2p)" "net.ipv4.ip_forward inside"
assert_eq "$host_msgmax" "$(cat /proc/sys/kernel/msgmax)" "host kernel.msgmax untouched"
assert_eq "$host_fwd" "$(cat /proc/sys/net/ipv4/ip_forward)" "host ip_forward untouched"

# a sysctl of a namespace the container does not own is refused
edit_config "$B" '.linux.sysctl = {"kernel.msgmax": "4096"} | .linux.namespaces |= map(select(.type != "ipc"))'
new_id ID
out=$(rtc run --bundle "$B" "$ID" </dev/null 2>&1) && fail "ipc sysctl without an ipc namespace accepted"
assert_contains "$out" "kernel.msgmax" "refused sysctl named in the error"
assert_eq "$host_msgmax" "$(cat /proc/sys/kernel/msgmax)" "host kernel.msgmax untouched by the refused run"
