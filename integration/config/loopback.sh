#!/bin/bash
# A container with a network namespace of its own gets `lo` up, as runc's
# "loopback" network gives it: 127.0.0.1 and ::1 connect inside. A network
# namespace joined by path is left as it is (its lo stays down).
source "$(dirname "$0")/../lib.sh"
require_cmd unshare

# lo_up FLAGS: whether IFF_UP (0x1) is set in a /sys/class/net/*/flags value.
lo_up() { [ $(($1 & 1)) = 1 ]; }

B=$TEST_TMP/bundle
make_bundle "$B" sh -c '
    cat /sys/class/net/lo/flags
    nc -l -p 5000 >/tmp/got4 & sleep 0.3; echo v4 | nc -w 2 127.0.0.1 5000; wait
    echo "got $(cat /tmp/got4)"
    grep -q "^0*1 .* lo$" /proc/net/if_inet6 && echo has-v6 || echo no-v6
    nc -l -p 5001 >/tmp/got6 & sleep 0.3; echo v6 | nc -w 2 ::1 5001; wait
    echo "got $(cat /tmp/got6)"'
jq -e '.linux.namespaces[] | select(.type == "network" and (.path // "") == "")' "$B/config.json" >/dev/null ||
    fail "the default spec has no network namespace of its own"
out=$(run_fg "$B") || fail "run: $out $(cat "$TEST_TMP"/*.err)"
log "inside: $(echo "$out" | tr '\n' ' ')"
lo_up "$(echo "$out" | sed -n 1p)" || fail "lo is not up in a new network namespace (flags $(echo "$out" | sed -n 1p))"
assert_eq "got v4" "$(echo "$out" | sed -n 2p)" "connection to 127.0.0.1"
if [ "$(echo "$out" | sed -n 3p)" = has-v6 ]; then
    assert_eq "got v6" "$(echo "$out" | sed -n 4p)" "connection to ::1"
    pass "lo up in a new network namespace: 127.0.0.1 and ::1 connect"
else
    log "no ::1 on lo here (IPv6 disabled in new namespaces): only 127.0.0.1 checked"
    pass "lo up in a new network namespace: 127.0.0.1 connects"
fi

# A joined namespace belongs to whoever made it: its lo stays down.
unshare --net sleep 600 &
holder=$!
track_pid "$holder"
for _ in $(seq 100); do [ "$(readlink /proc/$holder/ns/net)" != "$(readlink /proc/self/ns/net)" ] && [ "$(cat /proc/$holder/comm)" = sleep ] && break; sleep 0.05; done
[ "$(cat /proc/$holder/comm)" = sleep ] || fail "namespace holder did not start"
set_args "$B" cat /sys/class/net/lo/flags
edit_config "$B" '.linux.namespaces = [.linux.namespaces[] | select(.type != "network")] + [{"type": "network", "path": $p}]' --arg p "/proc/$holder/ns/net"
out=$(run_fg "$B") || fail "run in a joined network namespace: $out $(cat "$TEST_TMP"/*.err)"
lo_up "$out" && fail "lo of a joined network namespace was set up (flags $out)"
after=$(nsenter --net="/proc/$holder/ns/net" cat /proc/net/if_inet6 2>/dev/null | grep -c ' lo$')
assert_eq 0 "$after" "no address on the joined namespace's lo"
pass "joined network namespace left alone (lo flags $out)"
