#!/bin/bash
# Socket activation (as runc): LISTEN_FDS in the runtime's env (with LISTEN_PID
# naming the runtime) or in process.env passes fds 3.. to the container's
# process, with LISTEN_PID set to its pid inside.
source "$(dirname "$0")/../lib.sh"
require_cmd python3

B=$TEST_TMP/bundle
make_bundle "$B" sh -c 'echo "fds=$LISTEN_FDS pid=$LISTEN_PID"; readlink /proc/self/fd/3; readlink /proc/self/fd/4; true'

# activate MODE ARGS...: runs the runtime with a listening unix socket at fd 3
# and prints the socket's inode first. MODE: runtime (env with LISTEN_PID of
# the runtime), wrongpid (LISTEN_PID of another process), plain (no env).
activate() {
    local mode=$1
    shift
    python3 - "$mode" "$TEST_TMP/activate.sock" "$MYRT" --root "$STATE" "$@" <<'PY'
import os, socket, sys
mode, path, argv = sys.argv[1], sys.argv[2], sys.argv[3:]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
if os.path.exists(path):
    os.unlink(path)
s.bind(path)
s.listen(4)
print(os.fstat(s.fileno()).st_ino, flush=True)
os.dup2(s.fileno(), 3)
os.set_inheritable(3, True)
env = dict(os.environ)
env.pop("LISTEN_FDS", None)
env.pop("LISTEN_PID", None)
if mode != "plain":
    env["LISTEN_FDS"] = "1"
    env["LISTEN_PID"] = str(os.getpid() if mode == "runtime" else 1)
os.execve(argv[0], argv, env)
PY
}

new_id ID
out=$(timeout 60 bash -c "$(declare -f activate); activate runtime run --bundle '$B' '$ID'" </dev/null 2>"$TEST_TMP/err") ||
    fail "run with LISTEN_FDS: $out $(cat "$TEST_TMP/err")"
ino=$(echo "$out" | sed -n 1p)
assert_eq "fds=1 pid=1" "$(echo "$out" | sed -n 2p)" "LISTEN_FDS and LISTEN_PID inside"
assert_eq "socket:[$ino]" "$(echo "$out" | sed -n 3p)" "fd 3 is the listening socket"
assert_eq "" "$(echo "$out" | sed -n 4p)" "nothing beyond the listen fds"
pass "runtime env LISTEN_FDS"

new_id ID
out=$(timeout 60 bash -c "$(declare -f activate); activate wrongpid run --bundle '$B' '$ID'" </dev/null 2>"$TEST_TMP/err") ||
    fail "run with LISTEN_PID of another process: $out $(cat "$TEST_TMP/err")"
assert_eq "fds= pid=" "$(echo "$out" | sed -n 2p)" "LISTEN_FDS meant for another process not passed"
assert_eq "" "$(echo "$out" | sed -n 3p)" "fd 3 not passed without activation"
pass "LISTEN_PID of another process ignored"

edit_config "$B" '.process.env += ["LISTEN_FDS=1"]'
new_id ID
out=$(timeout 60 bash -c "$(declare -f activate); activate plain run --bundle '$B' '$ID'" </dev/null 2>"$TEST_TMP/err") ||
    fail "run with LISTEN_FDS in process.env: $out $(cat "$TEST_TMP/err")"
ino=$(echo "$out" | sed -n 1p)
assert_eq "fds=1 pid=1" "$(echo "$out" | sed -n 2p)" "process.env LISTEN_FDS, LISTEN_PID inside"
assert_eq "socket:[$ino]" "$(echo "$out" | sed -n 3p)" "fd 3 passed for process.env LISTEN_FDS"
pass "process.env LISTEN_FDS"
