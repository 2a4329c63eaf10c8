#!/bin/bash
# TCP listeners v4 and v6 (SO_REUSEADDR, SO_REUSEPORT, IPV6_V6ONLY,
# TCP_DEFER_ACCEPT, backlog), unbound and bound-unconnected TCP sockets, an
# unbound UDP socket: same names and options after restore, and each
# listener accepts a new client over the container's loopback.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
source "$(dirname "$0")/inet_lib.sh"
require_root
inet_roundtrip listen
# The backlog: ss reports a listener's as its Send-Q.
pid=$(state_of "$ID" pid)
if command -v ss >/dev/null; then
    out=$(nsenter -t "$pid" -n ss -ltnH)
    echo "$out" | grep -Eq '^LISTEN +0 +7 +127\.0\.0\.1:7001 ' || fail "backlog of 127.0.0.1:7001 not 7: $out"
    echo "$out" | grep -Eq '^LISTEN +0 +11 +\[::\]:7002 ' || fail "backlog of [::]:7002 not 11: $out"
    pass "backlogs 7 and 11 restored"
fi
