#!/bin/bash
# podman run -dit with myrt: conmon holds the console's master (expected,
# not a leak), the shell's line reader waits on the console. Checkpoint and
# restore through podman; afterwards a line typed through conmon's attach
# socket still reaches the restored reader, and podman exec works.
source "$(dirname "$0")/../lib.sh"
podman_setup
command -v python3 >/dev/null || skip "needs python3 to talk to conmon's attach socket"

cat >"$TEST_TMP/attach.py" <<'PY'
# attach.py SOCKET TEXT: types TEXT into the container's console through
# conmon's attach socket (SOCK_SEQPACKET; what is written goes to the stdin).
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
os.chdir(os.path.dirname(sys.argv[1]))  # the full path is longer than sun_path
s.connect(os.path.basename(sys.argv[1]))
s.send(sys.argv[2].encode().decode("unicode_escape").encode())
s.close()
PY

name=tty-$$
pm run -dit "${PODMAN_RUN_FLAGS[@]}" --name "$name" "$PODMAN_IMAGE" \
    sh -c 'echo ready >/tmp/ready; while read l; do echo "got:$l" >/tmp/last.new; mv -f /tmp/last.new /tmp/last; done' \
    </dev/null >/dev/null 2>"$TEST_TMP/err" || fail "podman run -dit: $(cat "$TEST_TMP/err")"
attach_sock() { find "$PODMAN_DIR" -name attach -type s 2>/dev/null | head -1; }
last() { pm exec "$name" cat /tmp/last </dev/null 2>/dev/null; }
# wait_last TEXT: the reader inside got TEXT.
wait_last() {
    for ((i = 0; i < 50; i++)); do [ "$(last)" = "got:$1" ] && return 0; sleep 0.2; done
    fail "the console reader never got '$1' (last: $(last))"
}
for ((i = 0; i < 50; i++)); do pm exec "$name" test -f /tmp/ready </dev/null 2>/dev/null && break; sleep 0.2; done
sock=$(attach_sock)
[ -S "$sock" ] || fail "no conmon attach socket under $PODMAN_DIR"
python3 "$TEST_TMP/attach.py" "$sock" 'one\n' || fail "typing through $sock"
wait_last one
pass "the console answers before the checkpoint"

pm container checkpoint "$name" </dev/null >/dev/null 2>"$TEST_TMP/err" || fail "podman container checkpoint: $(cat "$TEST_TMP/err")"
pass "podman checkpoint of a container with a console (conmon's master is not a leak)"
pm container restore "$name" </dev/null >/dev/null 2>"$TEST_TMP/err" || fail "podman container restore: $(cat "$TEST_TMP/err")"
assert_eq running "$(pm inspect -f '{{.State.Status}}' "$name")" "status after restore"
pass "podman restore"
assert_eq "got:one" "$(last)" "podman exec after restore"
sock=$(attach_sock)
[ -S "$sock" ] || fail "no conmon attach socket after restore"
python3 "$TEST_TMP/attach.py" "$sock" 'two\n' || fail "typing through $sock after restore"
wait_last two
pass "the restored reader answers a line typed on the new console; podman exec works"
pm rm -f -t 0 "$name" >/dev/null 2>&1 || true
