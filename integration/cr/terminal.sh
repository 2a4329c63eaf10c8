#!/bin/bash
# A container with a terminal (--console-socket): the restored tasks write to
# the pty that restore sends over its own console socket, continuing where
# they were checkpointed.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
require_root

recv=$(console_recv_bin)
B=$TEST_TMP/bundle
mkdir -p "$B.shared"
make_bundle "$B" sh -c 'i=0; while :; do i=$((i+1)); echo tick $i; echo $i >/shared/n.new; mv -f /shared/n.new /shared/n; sleep 0.05; done'
add_bind "$B" "$B.shared" /shared
edit_config "$B" '.process.terminal = true'
"$recv" "$TEST_TMP/c1.sock" "$TEST_TMP/c1.out" 60 >"$TEST_TMP/r1.ready" 2>&1 &
track_pid $!
wait_file "$TEST_TMP/r1.ready"
new_id ID
rt run -d --console-socket "$TEST_TMP/c1.sock" --bundle "$B" "$ID" </dev/null >"$TEST_TMP/run.out" 2>&1 ||
    fail "run -d with a terminal: $(cat "$TEST_TMP/run.out")"
wait_file "$B.shared/n" 20
for ((i = 0; i < 200; i++)); do [ "$(cat "$B.shared/n")" -ge 5 ] && break; sleep 0.05; done
cr_checkpoint "$ID" "$TEST_TMP/img" || fail "checkpoint of a terminal container: $(cat "$TEST_TMP/ckpt.err")"
at=$(cat "$B.shared/n")
cr_gone "$ID"
"$recv" "$TEST_TMP/c2.sock" "$TEST_TMP/c2.out" 3 >"$TEST_TMP/r2.ready" 2>&1 &
r2=$!
track_pid "$r2"
wait_file "$TEST_TMP/r2.ready"
cr_restore "$ID" "$B" "$TEST_TMP/img" --console-socket "$TEST_TMP/c2.sock" ||
    fail "restore with a console socket: $(cat "$TEST_TMP/restore.err")"
wait "$r2"
first=$(tr -d '\r' <"$TEST_TMP/c2.out" | awk '/^tick/ {print $2; exit}')
[ -n "$first" ] || fail "no output through the restored container's new pty"
[ "$first" -gt "$at" ] || fail "output through the new pty restarted at $first (checkpointed at $at)"
# (+2: the checkpoint may fall between the echo to the pty and the write of n)
[ "$first" -le $((at + 2)) ] || fail "output through the new pty jumped from $at to $first"
pass "terminal container restored onto the new console: tick $first follows $at"
