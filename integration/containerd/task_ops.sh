#!/bin/bash
# ctr run -d, then task exec (--exec-id), ps, pause, resume, kill, delete:
# every operation the shim performs with the runtime under test.
source "$(dirname "$0")/../lib.sh"
containerd_setup

task_status() { c task ls | awk -v id="$1" '$1 == id {print $3}'; }
wait_task_status() {
    local i s=""
    for i in $(seq 100); do
        s=$(task_status "$1")
        [ "$s" = "$2" ] && return 0
        sleep 0.1
    done
    fail "task $1 did not reach $2 (last: '$s')"
}

new_id ID
c run -d --snapshotter native --runc-binary "$MYRT" "$CTR_IMAGE" "$ID" sleep 600 </dev/null >/dev/null 2>"$TEST_TMP/err" ||
    fail "ctr run -d: $(cat "$TEST_TMP/err")"
wait_task_status "$ID" RUNNING
pass "task running after run -d"
pid=$(c task ls | awk -v id="$ID" '$1 == id {print $2}')
assert_eq sleep "$(cat /proc/"$pid"/comm)" "task pid is the container process"

out=$(c task exec --exec-id e1 "$ID" sh -c 'echo exec-ok; cat /proc/1/comm' </dev/null 2>"$TEST_TMP/err") ||
    fail "ctr task exec: $(cat "$TEST_TMP/err")"
assert_eq "$(printf 'exec-ok\nsleep')" "$out" "task exec runs in the container"
c task exec --exec-id e2 "$ID" sh -c 'exit 4' </dev/null >/dev/null 2>&1
assert_eq 4 "$?" "task exec exit code"

# a long-running exec shows up in ps
c task exec --exec-id e3 "$ID" sleep 300 </dev/null >/dev/null 2>&1 &
track_pid $!
for i in $(seq 100); do [ "$(c task ps "$ID" | tail -n +2 | wc -l)" -ge 2 ] && break; sleep 0.1; done
ps_out=$(c task ps "$ID") || fail "ctr task ps"
assert_match "$(echo "$ps_out" | head -1)" '^PID' "task ps header"
assert_contains "$ps_out" "$pid" "task ps lists the init pid"
assert_eq 2 "$(echo "$ps_out" | tail -n +2 | wc -l)" "task ps lists init and the exec'd process"
for p in $(echo "$ps_out" | tail -n +2 | awk '{print $1}'); do
    pid_alive "$p" || fail "task ps pid $p does not exist"
done
pass "task ps pids exist on the host"

c task pause "$ID" 2>"$TEST_TMP/err" || fail "ctr task pause: $(cat "$TEST_TMP/err")"
wait_task_status "$ID" PAUSED
pass "task paused"
assert_match "$(awk '/^State:/ {print $2}' /proc/"$pid"/status)" '^[DS]$' "paused task is not running"
c task resume "$ID" 2>"$TEST_TMP/err" || fail "ctr task resume: $(cat "$TEST_TMP/err")"
wait_task_status "$ID" RUNNING
pass "task resumed"

c task kill -s SIGKILL "$ID" 2>"$TEST_TMP/err" || fail "ctr task kill: $(cat "$TEST_TMP/err")"
wait_task_status "$ID" STOPPED
wait_gone "$pid"
pass "task killed"
c task delete "$ID" >/dev/null 2>"$TEST_TMP/err" || fail "ctr task delete: $(cat "$TEST_TMP/err")"
assert_eq "" "$(c task ls -q)" "no task left after delete"
c container delete "$ID" 2>"$TEST_TMP/err" || fail "ctr container delete: $(cat "$TEST_TMP/err")"
assert_eq "" "$(c container ls -q)" "no container left"
