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

# refused_sysctl WHAT: `run` must fail naming the key, leave no container and
# start nothing (the program would write a marker).
refused_sysctl() {
    local key=$1 what=$2 out
    rm -f "$B/rootfs/started"
    new_id ID
    out=$(rtc run --bundle "$B" "$ID" </dev/null 2>&1) && fail "$what accepted"
    assert_contains "$out" "$key" "$what: key named in the error"
    [ -e "$B/rootfs/started" ] && fail "$what: the container's process ran"
    [ -z "$(rt list -q 2>/dev/null)" ] || fail "$what: a container is left behind: $(rt list 2>&1)"
    pass "$what refused"
}
set_args "$B" sh -c 'touch /started'
cp "$B/config.json" "$TEST_TMP/base.json"
base() { cp "$TEST_TMP/base.json" "$B/config.json"; }
base
edit_config "$B" '.linux.sysctl = {"net.ipv4.ip_forward": "1"} | .linux.namespaces |= map(select(.type != "network"))'
refused_sysctl net.ipv4.ip_forward "net sysctl without a network namespace"
base
edit_config "$B" 'del(.hostname) | .linux.sysctl = {"kernel.domainname": "x"} | .linux.namespaces |= map(select(.type != "uts"))'
refused_sysctl kernel.domainname "uts sysctl without a uts namespace"
base
edit_config "$B" '.linux.sysctl = {"vm.swappiness": "10"}'
refused_sysctl vm.swappiness "a sysctl no namespace isolates"
# a network namespace given by path that is the runtime's own is the host's
base
edit_config "$B" '.linux.sysctl = {"net.ipv4.ip_forward": $f} | .linux.namespaces |= map(select(.type != "network")) | .linux.namespaces += [{"type": "network", "path": "/proc/self/ns/net"}]' --arg f "$want_fwd"
refused_sysctl net.ipv4.ip_forward "net sysctl in the runtime's own network namespace (by path)"
assert_eq "$host_fwd" "$(cat /proc/sys/net/ipv4/ip_forward)" "host ip_forward untouched by the refused runs"

# ... while a network namespace of its own given by path is accepted
require_cmd unshare
unshare -n sleep 300 &
holder=$!
track_pid "$holder"
for _ in $(seq 50); do [ "$(readlink /proc/$holder/ns/net)" != "$(readlink /proc/self/ns/net)" ] && break; sleep 0.1; done
edit_config "$B" '.linux.namespaces |= map(if .type == "network" then .path = $p else . end)' --arg p "/proc/$holder/ns/net"
set_args "$B" cat /proc/sys/net/ipv4/ip_forward
out=$(run_fg "$B") || fail "net sysctl in a joined namespace of its own: $out $(cat "$TEST_TMP"/*.err)"
assert_eq "$want_fwd" "$out" "net sysctl set in the joined namespace"
assert_eq "$host_fwd" "$(cat /proc/sys/net/ipv4/ip_forward)" "host ip_forward untouched"
