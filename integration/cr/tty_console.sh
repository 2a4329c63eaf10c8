#!/bin/bash
# An interactive busybox sh in a `terminal: true` container, driven through
# its console socket (a receiver that types into the pty master and records
# what comes out): type, checkpoint, restore with a new console socket, type
# again. The new console has the dumped termios and window size, and the
# shell answers the next keystroke.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
require_root
command -v python3 >/dev/null || skip "needs python3 for the console receiver"

cat >"$TEST_TMP/recv.py" <<'PY'
# recv.py SOCKET OUTPUT INPUT_FIFO TIMEOUT: an OCI console-socket receiver that
# also types what is written to INPUT_FIFO into the pty master.
import os, select, socket, sys, time
sock_path, out_path, fifo_path, timeout = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sock_path)
s.listen(1)
print("ready", flush=True)
c, _ = s.accept()
_, fds, _, _ = socket.recv_fds(c, 4096, 1)
master = fds[0]
fifo = os.open(fifo_path, os.O_RDWR | os.O_NONBLOCK)
out = open(out_path, "ab", buffering=0)
end = time.time() + timeout
while time.time() < end:
    r, _, _ = select.select([master, fifo], [], [], 0.2)
    if master in r:
        try:
            d = os.read(master, 4096)
        except OSError:
            break
        if not d:
            break
        out.write(d)
    if fifo in r:
        os.write(master, os.read(fifo, 4096))
PY

# type N TEXT: the receiver N types TEXT into the console.
type_in() { printf '%b' "$2" >"$TEST_TMP/in$1"; }
# wait_out N PATTERN: the console output of receiver N shows PATTERN.
wait_out() {
    for ((i = 0; i < 100; i++)); do
        tr -d '\r' <"$TEST_TMP/c$1.out" | grep -q "$2" && return 0
        sleep 0.1
    done
    fail "console $1 never showed '$2'; it showed: $(tr -d '\r' <"$TEST_TMP/c$1.out" | tail -c 400)"
}

B=$TEST_TMP/bundle
make_bundle "$B" sh
edit_config "$B" '.process.terminal = true | .process.env += ["PS1=prompt> "]'
mkfifo "$TEST_TMP/in1" "$TEST_TMP/in2"
: >"$TEST_TMP/c1.out"
: >"$TEST_TMP/c2.out"
python3 "$TEST_TMP/recv.py" "$TEST_TMP/c1.sock" "$TEST_TMP/c1.out" "$TEST_TMP/in1" 60 >"$TEST_TMP/r1.ready" 2>&1 &
track_pid $!
wait_file "$TEST_TMP/r1.ready"
new_id ID
rt run -d --console-socket "$TEST_TMP/c1.sock" --bundle "$B" "$ID" </dev/null >"$TEST_TMP/run.out" 2>&1 ||
    fail "run -d with a terminal: $(cat "$TEST_TMP/run.out")"
wait_out 1 "prompt>"
type_in 1 'stty rows 31 cols 101; echo one$((1+1))\n'
wait_out 1 "one2"
pass "the shell answers on the first console"
sleep 0.3  # back at the prompt, reading the terminal in line-editing (raw) mode

cr_checkpoint "$ID" "$TEST_TMP/img" || fail "checkpoint of an interactive shell: $(cat "$TEST_TMP/ckpt.err")"
cr_gone "$ID"
python3 "$TEST_TMP/recv.py" "$TEST_TMP/c2.sock" "$TEST_TMP/c2.out" "$TEST_TMP/in2" 60 >"$TEST_TMP/r2.ready" 2>&1 &
track_pid $!
wait_file "$TEST_TMP/r2.ready"
cr_restore "$ID" "$B" "$TEST_TMP/img" --console-socket "$TEST_TMP/c2.sock" ||
    fail "restore with a new console socket: $(cat "$TEST_TMP/restore.err")"
type_in 2 'echo two$((2+1)); stty size; stty -a | grep -o "\-icanon\|icanon" | head -1\n'
wait_out 2 "two3"
pass "the restored shell answers the first keystrokes on the new console"
wait_out 2 "^31 101"
pass "the new console has the dumped window size (31 rows, 101 columns)"
type_in 2 'exit\n'
wait_status "$ID" stopped 10 || true
rt delete -f "$ID" >/dev/null 2>&1 || true
pass "interactive shell on the console survived checkpoint and restore"
