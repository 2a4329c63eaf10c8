#!/bin/bash
# A real service from Debian's packages in a container: redis-server (package
# redis-server, scripts/install-deps.sh) listening on a unix socket only
# (`port 0`: TCP listeners are not checkpointed), with the host's /usr
# bind-mounted read-only into a busybox rootfs for its binary and libraries.
# Load state, checkpoint, restore: the data is still there and it still serves
# (epoll, pipes, threads, an AF_UNIX listener, its memory).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
require_root
command -v redis-server >/dev/null && command -v redis-cli >/dev/null ||
    skip "needs redis-server and redis-cli (Debian package redis-server)"

B=$TEST_TMP/bundle
cr_redis_bundle "$B"
cat >>"$B.shared/redis.conf" <<'CONF'
port 0
unixsocket /shared/redis.sock
unixsocketperm 777
CONF
SOCK=$B.shared/redis.sock
cli() { redis-cli -s "$SOCK" "$@"; }

new_id ID
run_detached "$ID" "$B"
for _ in $(seq 100); do [ "$(cli PING 2>/dev/null)" = PONG ] && break; sleep 0.1; done
[ "$(cli PING 2>/dev/null)" = PONG ] || fail "redis-server did not answer on $SOCK: $(cat "$TEST_TMP/$ID.err" 2>/dev/null)"
cli SET greeting "hello across a checkpoint" >/dev/null
cli RPUSH queue one two three >/dev/null
cli INCRBY counter 41 >/dev/null
for i in $(seq 1000); do echo "SET key:$i value-$i"; done | cli >/dev/null
assert_eq 1003 "$(cli DBSIZE)" "keys before the checkpoint"
pass "redis-server loaded with 1003 keys"

cr_roundtrip "$ID" "$B"
pass "checkpointed and restored"
assert_eq PONG "$(cli PING)" "PING after restore"
assert_eq "hello across a checkpoint" "$(cli GET greeting)" "a string after restore"
assert_eq "one two three" "$(cli LRANGE queue 0 -1 | tr '\n' ' ' | sed 's/ $//')" "a list after restore"
assert_eq 42 "$(cli INCR counter)" "a counter after restore"
assert_eq value-777 "$(cli GET key:777)" "one of the 1000 keys after restore"
assert_eq 1003 "$(cli DBSIZE)" "keys after restore"
cli SET after restored >/dev/null
assert_eq restored "$(cli GET after)" "a write after restore"
pass "redis-server kept its data and still serves after restore"
