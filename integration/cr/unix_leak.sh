#!/bin/bash
# AF_UNIX (leak): a socket connected to a peer outside the container fails
# the checkpoint naming both ends, and the container keeps running and
# talking; with --ext-unix-sk it is checkpointed, and after restore the
# outside peer is gone (EOF), as docs/cr-net.md says.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
source "$(dirname "$0")/unix_lib.sh"
require_root
PY3=$(command -v /usr/bin/python3 python3 | head -1)
[ -n "$PY3" ] || skip "needs python3 for the outside peer"

B=$TEST_TMP/bundle
cr_bundle_bin "$B" "$(unix_workload)" leak
mkdir -p "$B.shared"
"$PY3" - "$B.shared/outside.sock" <<'PY' &
import socket, sys, os
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1]); s.listen(1)
c, _ = s.accept()
while True:
    d = c.recv(4)
    if not d: break
    c.sendall(b"pong")
PY
PEER=$!
track_pid $PEER  # killed with the containers by lib.sh's cleanup (a trap of its own would replace it)
for _ in $(seq 100); do [ -S "$B.shared/outside.sock" ] && break; sleep 0.1; done
[ -S "$B.shared/outside.sock" ] || fail "the outside peer did not start"
new_id ID
run_detached "$ID" "$B"
wait_file "$B.shared/ready" 20
if cr_checkpoint "$ID" "$TEST_TMP/img"; then fail "checkpoint with a peer outside succeeded"; fi
grep -q "outside the container" "$TEST_TMP/ckpt.err" || fail "error does not say outside: $(cat "$TEST_TMP/ckpt.err")"
grep -q "of pid $PEER" "$TEST_TMP/ckpt.err" || fail "error does not name the outside holder (pid $PEER): $(cat "$TEST_TMP/ckpt.err")"
grep -q -- "--ext-unix-sk" "$TEST_TMP/ckpt.err" || fail "error does not point at --ext-unix-sk"
pass "refused: $(head -c 400 "$TEST_TMP/ckpt.err")"
assert_eq running "$(state_of "$ID" status)" "status after the refused checkpoint"
cr_untraced "$(state_of "$ID" pid)"
cr_verify "$ID" "$B.shared"
pass "the container still talks to its outside peer"

cr_checkpoint "$ID" "$TEST_TMP/img2" --ext-unix-sk || fail "checkpoint with --ext-unix-sk: $(cat "$TEST_TMP/ckpt.err")"
cr_gone "$ID"
cr_restore "$ID" "$B" "$TEST_TMP/img2" || fail "restore: $(cat "$TEST_TMP/restore.err")"
assert_eq running "$(state_of "$ID" status)" "status after restore"
cr_verify "$ID" "$B.shared"
pass "with --ext-unix-sk: restored, the outside peer reads as gone"
