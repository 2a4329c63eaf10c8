#!/bin/bash
# The network namespace the bundle creates: the test configures it from the
# outside (lo's MTU, IPv4 and IPv6 addresses on lo, routes in the main and
# another table, a blackhole, net.* sysctls), the workload then binds sockets
# to those addresses. After checkpoint and restore `ip -d addr`, the routes
# of every table and the namespace's net.* sysctls read as before, and the
# workload's sockets are on the same addresses and work. A link of another
# kind (a veth pair inside) is refused by name, the container running on.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
source "$(dirname "$0")/inet_lib.sh"
require_root
require_cmd ip
require_cmd sysctl

in_ns() { nsenter -t "$(state_of "$ID" pid)" -n "$@"; }
snapshot() {
    in_ns ip -d addr
    in_ns ip -4 route show table all
    in_ns ip -6 route show table all
    # net.* of the namespace; counters the kernel moves on its own left out
    in_ns sysctl -a 2>/dev/null | grep '^net\.' | grep -Ev 'nf_conntrack_count|stable_secret|\.base_reachable_time$|flowlabel_state_ranges'
}

B=$TEST_TMP/bundle
cr_bundle_bin "$B" "$(inet_workload)" netcfg
new_id ID
run_detached "$ID" "$B"
in_ns ip link set lo mtu 16000
in_ns ip addr add 10.99.0.1/24 dev lo
in_ns ip -6 addr add fd00:99::1/64 dev lo
in_ns ip route add 10.98.0.0/16 dev lo proto static
in_ns ip route add 10.96.0.0/16 dev lo table 100
in_ns ip route add blackhole 10.97.0.0/16
in_ns ip -6 route add fd00:98::/64 dev lo metric 77
in_ns sysctl -qw net.ipv4.ip_forward=1 net.ipv4.ip_local_port_range="20000 30000" net.ipv4.tcp_keepalive_time=1234 \
    net.core.somaxconn=777 net.ipv4.conf.lo.rp_filter=2 net.ipv6.conf.lo.hop_limit=33 || fail "sysctl in the namespace"
touch "$B.shared/go"
wait_file "$B.shared/ready" 20
before=$(snapshot)
grep -q "inet 10.99.0.1/24" <<<"$before" && grep -q "mtu 16000" <<<"$before" || fail "configuration not in place: $before"

cr_checkpoint "$ID" "$TEST_TMP/img.lr" --leave-running || fail "--leave-running checkpoint: $(cat "$TEST_TMP/ckpt.err")"
cr_checkpoint "$ID" "$TEST_TMP/img" || fail "checkpoint: $(cat "$TEST_TMP/ckpt.err")"
cr_gone "$ID"
cr_restore "$ID" "$B" "$TEST_TMP/img" || fail "restore: $(cat "$TEST_TMP/restore.err")"
assert_eq running "$(state_of "$ID" status)" "status after restore"
after=$(snapshot)
if [ "$before" != "$after" ]; then
    diff <(echo "$before") <(echo "$after") >&2
    fail "the namespace's addresses, routes or sysctls differ after restore"
fi
pass "ip -d addr, routes of every table, $(grep -c '^net\.' <<<"$after") net.* sysctls: as before"
cr_verify "$ID" "$B.shared"
pass "sockets on 10.99.0.1 and fd00:99::1 restored and working"

# A link of another kind (a veth pair inside the namespace): refused by name, the container runs on.
in_ns ip link add v7a type veth peer name v7b || fail "veth pair in the namespace"
if cr_checkpoint "$ID" "$TEST_TMP/img2"; then fail "checkpoint with a veth link succeeded"; fi
grep -Eq "link v7[ab] \(kind veth" "$TEST_TMP/ckpt.err" || fail "error does not name the link: $(cat "$TEST_TMP/ckpt.err")"
pass "refused: $(head -c 300 "$TEST_TMP/ckpt.err")"
assert_eq running "$(state_of "$ID" status)" "status after the refused checkpoint"
cr_verify "$ID" "$B.shared"
pass "the container runs on"
