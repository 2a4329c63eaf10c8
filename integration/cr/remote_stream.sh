#!/bin/bash
# A checkpoint streamed to another node's receiver: `myrt image receive`
# listens on loopback, `myrt checkpoint --image-path tcp://...` streams the
# image to it, and the container restored from the received directory counts
# on. A checkpoint to an address where nothing listens fails before anything
# is frozen, naming the address, and the container keeps running; restore
# refuses a tcp:// image path with a message that says what to do instead.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
require_root

# listening PORT: whether something listens on 127.0.0.1:PORT (from
# /proc/net/tcp, so that checking does not take the receiver's one connection).
listening() {
    local hex
    hex=$(printf '%04X' "$1")
    awk -v p="0100007F:$hex" '$2 == p && $4 == "0A" { found = 1 } END { exit !found }' /proc/net/tcp
}
free_port() {
    local p
    for _ in $(seq 50); do
        p=$((20000 + RANDOM % 30000))
        listening "$p" || { echo "$p"; return; }
    done
    fail "no free loopback port found"
}

cr_run_counter

# Nothing listens: the checkpoint fails up front and the container runs on.
port=$(free_port)
before=$(count)
out=$(rt checkpoint --image-path "tcp://127.0.0.1:$port" --work-path "$TEST_TMP/nowhere.work" "$ID" 2>&1 </dev/null) &&
    fail "checkpoint to a port where nothing listens succeeded"
assert_contains "$out" "127.0.0.1:$port" "the failed checkpoint names the address"
assert_eq running "$(state_of "$ID" status)" "status after the failed remote checkpoint"
for ((i = 0; i < 100; i++)); do [ "$(count)" -gt "$before" ] && break; sleep 0.05; done
[ "$(count)" -gt "$before" ] || fail "the counter stopped after the failed remote checkpoint"
pass "no receiver: clear error, container still running"
out=$(rt checkpoint --image-path "tcp://127.0.0.1:$port" "$ID" 2>&1 </dev/null) &&
    fail "a remote checkpoint without --work-path succeeded"
assert_contains "$out" "--work-path" "a remote checkpoint asks for --work-path"

# The real stream.
RECEIVED=$TEST_TMP/received
port=$(free_port)
timeout 120 "$MYRT" image receive --listen "127.0.0.1:$port" --image-path "$RECEIVED" >"$TEST_TMP/receive.out" 2>&1 &
receiver=$!
track_pid "$receiver"
for ((i = 0; i < 100; i++)); do listening "$port" && break; sleep 0.05; done
listening "$port" || fail "the receiver does not listen on $port: $(cat "$TEST_TMP/receive.out")"
sleep 0.2
rt checkpoint --image-path "tcp://127.0.0.1:$port" --work-path "$TEST_TMP/sent.work" "$ID" </dev/null \
    >"$TEST_TMP/ckpt.out" 2>"$TEST_TMP/ckpt.err" || fail "checkpoint over TCP: $(cat "$TEST_TMP/ckpt.err")"
wait "$receiver" || fail "the receiver failed: $(cat "$TEST_TMP/receive.out")"
at=$(count)
[ -s "$RECEIVED/myrt.img" ] || fail "the receiver stored no image"
[ -e "$RECEIVED/myrt.img.partial" ] && fail "a .partial image remains on the receiver"
for f in dump.log stats-dump inventory.img; do
    [ -s "$TEST_TMP/sent.work/$f" ] || fail "the remote checkpoint left no $f in its work path"
done
assert_contains "$(cat "$TEST_TMP/sent.work/dump.log")" "tcp://127.0.0.1:$port" "dump.log names where the image went"
cr_gone "$ID"
pass "image streamed to the receiver at counter $at"

out=$(rt restore -d --bundle "$B" --image-path "tcp://127.0.0.1:$port" "$ID" 2>&1 </dev/null) &&
    fail "restore from a tcp:// image path succeeded"
assert_contains "$out" "image receive" "restore from tcp:// says to receive the stream first"

cr_restore "$ID" "$B" "$RECEIVED" || fail "restore from the received image: $(cat "$TEST_TMP/restore.err")"
assert_eq running "$(state_of "$ID" status)" "status after restore"
counts_on_from "$at"
pass "restored from the received image: $at -> $now"
