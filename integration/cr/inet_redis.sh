#!/bin/bash
# Redis over TCP: redis-server (Debian package) in a container that joins, by
# path, a network namespace the test made, listening on 0.0.0.0:6379; a
# redis-cli in the test's second namespace, across a veth (10.77.1.1 ->
# 10.77.1.2), keeps one connection: keys set before the checkpoint
# (--tcp-established) are read after the restore over the same connection
# (same CLIENT ID, no reconnect), and the client's namespace saw no reset.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
source "$(dirname "$0")/inet_lib.sh"
require_root
require_cmd ip
require_cmd iptables
command -v redis-server >/dev/null && command -v redis-cli >/dev/null ||
    skip "needs redis-server and redis-cli (Debian package redis-server)"

inet_veth_namespaces 1
nsenter --net="$SRV" iptables -w -L INPUT -n >/dev/null 2>&1 || skip "iptables does not work in a network namespace here"

B=$TEST_TMP/bundle
cr_redis_bundle "$B"
edit_config "$B" '(.linux.namespaces[] | select(.type == "network")) |= (.path = $p)' --arg p "$SRV"
cat >>"$B.shared/redis.conf" <<'CONF'
port 6379
bind 0.0.0.0
protected-mode no
CONF

new_id ID
run_detached "$ID" "$B"
for _ in $(seq 100); do
    [ "$(nsenter --net="$CLI" redis-cli -h 10.77.1.2 PING 2>/dev/null)" = PONG ] && break
    sleep 0.1
done
[ "$(nsenter --net="$CLI" redis-cli -h 10.77.1.2 PING 2>/dev/null)" = PONG ] || fail "redis-server does not answer on 10.77.1.2:6379"

# One redis-cli, fed line by line through a fifo: one connection for the whole test.
mkfifo "$TEST_TMP/cli.in"
nsenter --net="$CLI" redis-cli -h 10.77.1.2 <"$TEST_TMP/cli.in" >"$TEST_TMP/cli.out" 2>&1 &
CLIENT=$!
track_pid $CLIENT
exec 7>"$TEST_TMP/cli.in"
on_exit "exec 7>&-"
# ask N LINE: sends LINE (redis-cli quoting), waits for N more lines of output, prints them.
ask() {
    local n=$1 line=$2 have
    have=$(wc -l <"$TEST_TMP/cli.out")
    echo "$line" >&7
    for _ in $(seq 100); do [ "$(wc -l <"$TEST_TMP/cli.out")" -ge $((have + n)) ] && break; sleep 0.1; done
    [ "$(wc -l <"$TEST_TMP/cli.out")" -ge $((have + n)) ] || fail "redis-cli: no answer to $line: $(cat "$TEST_TMP/cli.out")"
    tail -n "$n" "$TEST_TMP/cli.out"
}
rsts() { nsenter --net="$CLI" awk '/^Tcp:/ { if (!h) { for (i = 1; i <= NF; i++) { if ($i == "EstabResets") e = i; if ($i == "InSegs") s = i }; h = 1 } else print $e }' /proc/self/net/snmp; }

id_before=$(ask 1 "CLIENT ID")
assert_eq OK "$(ask 1 'SET greeting "hello over tcp"')" "SET"
assert_eq 3 "$(ask 1 "RPUSH queue one two three")" "RPUSH"
assert_eq 41 "$(ask 1 "INCRBY counter 41")" "INCRBY"
conn=$(nsenter --net="$CLI" ss -tnH state established '( dport = :6379 )')
[ -n "$conn" ] || fail "no connection from redis-cli to 6379"
pass "redis-cli connected (client id $id_before): $conn"
resets_before=$(rsts)

cr_checkpoint "$ID" "$TEST_TMP/img.lr" --leave-running --tcp-established || fail "--leave-running checkpoint: $(cat "$TEST_TMP/ckpt.err")"
assert_eq "hello over tcp" "$(ask 1 "GET greeting")" "GET after the --leave-running checkpoint"
cr_checkpoint "$ID" "$TEST_TMP/img" --tcp-established || fail "checkpoint: $(cat "$TEST_TMP/ckpt.err")"
cr_gone "$ID"
kill -0 $CLIENT 2>/dev/null || fail "redis-cli ended while the container was checkpointed: $(cat "$TEST_TMP/cli.out")"
cr_restore "$ID" "$B" "$TEST_TMP/img" --tcp-established || fail "restore: $(cat "$TEST_TMP/restore.err")"
assert_eq running "$(state_of "$ID" status)" "status after restore"
pass "checkpointed and restored with the client connected"

assert_eq "hello over tcp" "$(ask 1 "GET greeting")" "GET after restore"
assert_eq "one two three" "$(ask 3 "LRANGE queue 0 -1" | tr '\n' ' ' | sed 's/ $//')" "LRANGE after restore"
assert_eq 42 "$(ask 1 "INCR counter")" "INCR after restore"
assert_eq "$id_before" "$(ask 1 "CLIENT ID")" "CLIENT ID after restore (the same connection)"
assert_eq "$conn" "$(nsenter --net="$CLI" ss -tnH state established '( dport = :6379 )')" "the client's connection"
assert_eq "$resets_before" "$(rsts)" "EstabResets in the client's namespace"
kill -0 $CLIENT 2>/dev/null || fail "redis-cli ended"
assert_not_contains "$(cat "$TEST_TMP/cli.out")" "Error" "redis-cli output"
assert_not_contains "$(nsenter --net="$SRV" iptables -w -S INPUT)" "DROP" "the lock rule after restore"
pass "keys read after restore over the same connection, no reset, no reconnect"
exec 7>&-
wait $CLIENT
