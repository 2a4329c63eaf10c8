#!/bin/bash
# A container whose stdio is a terminal of the caller (a pty of the host's
# devpts, as with runc/CRIU shell jobs): the checkpoint refuses it without
# --shell-job, naming it, and the container keeps running; with --shell-job
# it is checkpointed, and restored onto the restoring caller's own terminal.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
require_root
command -v python3 >/dev/null || skip "needs python3 for the terminals"

cat >"$TEST_TMP/term.py" <<'PY'
# term.py PATHFILE OUT SECONDS: a pty of this host; prints the slave's path to
# PATHFILE and copies what the master reads into OUT for SECONDS.
import os, pty, select, sys, time
m, s = pty.openpty()
open(sys.argv[1] + ".new", "w").write(os.ttyname(s) + "\n")
os.rename(sys.argv[1] + ".new", sys.argv[1])
out = open(sys.argv[2], "ab", buffering=0)
end = time.time() + float(sys.argv[3])
while time.time() < end:
    r, _, _ = select.select([m], [], [], 0.2)
    if m in r:
        try:
            out.write(os.read(m, 4096))
        except OSError:
            time.sleep(0.05)
PY
: >"$TEST_TMP/t1.out"
: >"$TEST_TMP/t2.out"
python3 "$TEST_TMP/term.py" "$TEST_TMP/t1.path" "$TEST_TMP/t1.out" 60 &
track_pid $!
wait_file "$TEST_TMP/t1.path"
t1=$(cat "$TEST_TMP/t1.path")

B=$TEST_TMP/bundle
make_bundle "$B" sh -c 'i=0; while :; do i=$((i+1)); echo tick $i; sleep 0.05; done'
new_id ID
rt run -d --bundle "$B" "$ID" <"$t1" >"$t1" 2>"$t1" || fail "run -d on the terminal $t1"
for ((i = 0; i < 100; i++)); do grep -q "tick 5" "$TEST_TMP/t1.out" && break; sleep 0.05; done
grep -q "tick 5" "$TEST_TMP/t1.out" || fail "no output on the terminal $t1"
pid=$(state_of "$ID" pid)

if cr_checkpoint "$ID" "$TEST_TMP/img.refused"; then fail "checkpoint of a shell job succeeded without --shell-job"; fi
grep -q -- "--shell-job" "$TEST_TMP/ckpt.err" || fail "the refusal does not mention --shell-job: $(cat "$TEST_TMP/ckpt.err")"
grep -q "$t1" "$TEST_TMP/ckpt.err" || fail "the refusal does not name the terminal $t1: $(cat "$TEST_TMP/ckpt.err")"
assert_eq running "$(state_of "$ID" status)" "status after the refused checkpoint"
cr_untraced "$pid"
pass "refused without --shell-job: $(cat "$TEST_TMP/ckpt.err")"

cr_checkpoint "$ID" "$TEST_TMP/img" --shell-job || fail "checkpoint --shell-job: $(cat "$TEST_TMP/ckpt.err")"
at=$(tr -d '\r' <"$TEST_TMP/t1.out" | awk '/^tick/ {n=$2} END {print n}')
cr_gone "$ID"
pass "checkpoint --shell-job (last tick $at)"

python3 "$TEST_TMP/term.py" "$TEST_TMP/t2.path" "$TEST_TMP/t2.out" 60 &
track_pid $!
wait_file "$TEST_TMP/t2.path"
t2=$(cat "$TEST_TMP/t2.path")
rt restore -d --shell-job --bundle "$B" --image-path "$TEST_TMP/img" --work-path "$TEST_TMP/img.rwork" "$ID" \
    <"$t2" >"$t2" 2>"$TEST_TMP/restore.err" || fail "restore --shell-job: $(cat "$TEST_TMP/restore.err")"
for ((i = 0; i < 100; i++)); do tr -d '\r' <"$TEST_TMP/t2.out" | grep -q '^tick' && break; sleep 0.05; done
first=$(tr -d '\r' <"$TEST_TMP/t2.out" | awk '/^tick/ {print $2; exit}')
[ -n "$first" ] || fail "no output on the restoring caller's terminal $t2"
[ "$first" -gt "$at" ] && [ "$first" -le $((at + 2)) ] || fail "output on the new terminal restarted at $first (checkpointed at $at)"
rt delete -f "$ID" >/dev/null 2>&1 || true
pass "shell job restored onto the caller's terminal $t2: tick $first follows $at"
