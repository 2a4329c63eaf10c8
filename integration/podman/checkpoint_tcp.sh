#!/bin/bash
# podman container checkpoint --tcp-established / restore --tcp-established
# with myrt as the runtime, a client connected: the container joins
# (--network ns:PATH) a network namespace the test made, linked by a veth to
# a second one where a client keeps one TCP connection to the container's
# server and sends a request every 10 ms through both: no request lost or
# answered twice, no reset; the longest gap is reported.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../cr/inet_lib.sh"
require_root
require_cmd criu
require_cmd ip
require_cmd iptables
W=${CR_INET_WORKLOAD:-}
[ -x "$W" ] || skip "CR_INET_WORKLOAD (inetwork) is not built"
podman_setup

inet_veth_namespaces 2
nsenter --net="$SRV" iptables -w -L INPUT -n >/dev/null 2>&1 || skip "iptables does not work in a network namespace here"
cli_resets() { nsenter --net="$CLI" awk '/^Tcp:/ { if (!h) { for (i = 1; i <= NF; i++) if ($i == "EstabResets") e = i; h = 1 } else print $e }' /proc/self/net/snmp; }

name=c-$$
mkdir -p "$TEST_TMP/shared"
pm run -d --network "ns:$SRV" --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --name "$name" \
    -v "$W:/bin/inetwork:ro" -v "$TEST_TMP/shared:/shared" "$PODMAN_IMAGE" /bin/inetwork server \
    </dev/null >/dev/null 2>"$TEST_TMP/err" || fail "podman run -d --network ns:$SRV: $(cat "$TEST_TMP/err")"
wait_file "$TEST_TMP/shared/ready" 20
nsenter --net="$CLI" "$W" client 10.77.2.2 "$TEST_TMP/stop" "$TEST_TMP/client.out" &
CLIENT=$!
track_pid $CLIENT
sleep 1
kill -0 $CLIENT 2>/dev/null || fail "the client ended before the checkpoint: $(cat "$TEST_TMP/client.out")"

pm container checkpoint --tcp-established "$name" </dev/null >/dev/null 2>"$TEST_TMP/err" ||
    fail "podman container checkpoint --tcp-established: $(cat "$TEST_TMP/err")"
assert_eq exited "$(pm inspect -f '{{.State.Status}}' "$name")" "status after checkpoint"
assert_contains "$(nsenter --net="$SRV" iptables -w -S INPUT)" "--dport 7400 -j DROP" "the lock rule while checkpointed"
sleep 0.5
kill -0 $CLIENT 2>/dev/null || fail "the client ended while the container was checkpointed: $(cat "$TEST_TMP/client.out")"
pass "podman checkpoint --tcp-established, the connection locked"
pm container restore --tcp-established "$name" </dev/null >/dev/null 2>"$TEST_TMP/err" ||
    fail "podman container restore --tcp-established: $(cat "$TEST_TMP/err")"
assert_eq running "$(pm inspect -f '{{.State.Status}}' "$name")" "status after restore"
sleep 2
touch "$TEST_TMP/stop"
wait $CLIENT
out=$(cat "$TEST_TMP/client.out")
case "$out" in
requests*) pass "client across the veth through podman checkpoint and restore: $out" ;;
*) fail "client: $out" ;;
esac
assert_eq 0 "$(cli_resets)" "EstabResets in the client's namespace"
assert_not_contains "$(nsenter --net="$SRV" iptables -w -S INPUT)" "DROP" "the lock rule after restore"
pm stop -t 1 "$name" >/dev/null 2>&1
pass "podman checkpoint/restore --tcp-established through myrt: one connection, no reset"
