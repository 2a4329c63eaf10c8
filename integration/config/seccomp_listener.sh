#!/bin/bash
# seccomp listenerPath (OCI "seccomp listener"), as runc does it: the runtime,
# on the host side, delivers the notify fd with the container process state to
# an agent listening at a host path the container cannot see; the agent's
# answers reach the container's syscalls; a listener that cannot be reached
# fails `run` and leaves no container; exec'd processes get theirs too.
source "$(dirname "$0")/../lib.sh"
require_cmd cc jq

AGENT=$TEST_TMP/seccomp_agent
cc -O2 -Wall -o "$AGENT" "$INTEG_DIR/helpers/seccomp_agent.c" || fail "building helpers/seccomp_agent.c"
SOCK=$TEST_TMP/agent.sock

# start_agent NAME: an agent answering every notification with EXDEV (18).
start_agent() {
    "$AGENT" "$SOCK" "$TEST_TMP/$1.state" 18 60 >"$TEST_TMP/$1.out" 2>"$TEST_TMP/$1.err" &
    AGENT_PID=$!
    track_pid "$AGENT_PID"
    wait_file "$TEST_TMP/$1.out"
}

B=$TEST_TMP/bundle
make_bundle "$B" sh -c 'mkdir /tmp/probe 2>&1; [ -d /tmp/probe ] && echo made || echo not-made'
edit_config "$B" '.linux.seccomp = {
  "defaultAction": "SCMP_ACT_ALLOW",
  "listenerPath": $sock, "listenerMetadata": "meta-1",
  "architectures": ["SCMP_ARCH_X86_64"],
  "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_NOTIFY"}]}' --arg sock "$SOCK"

for nnp in true false; do
    edit_config "$B" ".process.noNewPrivileges = $nnp"
    start_agent "run-$nnp"
    new_id ID
    out=$(rtc run --bundle "$B" "$ID" </dev/null 2>"$TEST_TMP/$ID.err") ||
        fail "run (noNewPrivileges=$nnp): $out $(cat "$TEST_TMP/$ID.err")"
    assert_contains "$out" "cross-device" "noNewPrivileges=$nnp: mkdir answered by the agent with EXDEV"
    assert_contains "$out" "not-made" "noNewPrivileges=$nnp: the directory was not made"
    wait "$AGENT_PID" || fail "agent (noNewPrivileges=$nnp): $(cat "$TEST_TMP/run-$nnp.err")"
    assert_contains "$(cat "$TEST_TMP/run-$nnp.out")" "notified" "noNewPrivileges=$nnp: the agent got the notification"
    st=$TEST_TMP/run-$nnp.state
    assert_eq '["seccompFd"]' "$(jq -c .fds "$st")" "process state names the fd"
    assert_eq meta-1 "$(jq -r .metadata "$st")" "process state carries listenerMetadata"
    assert_eq "$ID" "$(jq -r .state.id "$st")" "process state carries the container state"
    assert_eq creating "$(jq -r .state.status "$st")" "the listener is delivered while the container is created"
    [ "$(jq -r .pid "$st")" -gt 0 ] || fail "process state pid: $(jq -r .pid "$st")"
    pass "noNewPrivileges=$nnp: pid $(jq -r .pid "$st") filtered, listener delivered from the runtime side"
done

# exec: the exec'd process's own listener, status running, its own pid.
set_args "$B" sleep 100
start_agent init
new_id EID
run_detached "$EID" "$B"
wait_file "$TEST_TMP/init.state"  # the init's listener arrived; `sleep` makes no call to answer
kill -KILL "$AGENT_PID" 2>/dev/null
wait "$AGENT_PID" 2>/dev/null
start_agent exec
out=$(rtc exec "$EID" sh -c 'mkdir /tmp/e 2>&1; echo "pid=$$"' 2>&1) || fail "exec: $out"
assert_contains "$out" "cross-device" "exec: the exec'd process's mkdir answered by the agent"
wait_file "$TEST_TMP/exec.state"
sleep 0.2
assert_eq running "$(jq -r .state.status "$TEST_TMP/exec.state")" "exec: status running in the process state"
init_pid=$(state_of "$EID" pid)
[ "$(jq -r .pid "$TEST_TMP/exec.state")" != "$init_pid" ] || fail "exec: the process state names the init, not the exec'd process"
pass "exec: listener of the exec'd process delivered"
rt delete --force "$EID" >/dev/null 2>&1

# A listener nobody listens at fails run, names the path, and leaves nothing.
edit_config "$B" '.linux.seccomp.listenerPath = $sock' --arg sock "$TEST_TMP/nobody.sock"
set_args "$B" true
new_id FID
out=$(rtc run --bundle "$B" "$FID" </dev/null 2>&1) && fail "run with an unreachable listener succeeded: $out"
assert_contains "$out" "nobody.sock" "the error names the listener path"
rtc state "$FID" >/dev/null 2>&1 && fail "a container is left after the failed run"
pass "unreachable listener: run fails ($out)"
