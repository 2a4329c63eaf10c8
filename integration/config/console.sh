#!/bin/bash
# terminal: true with --console-socket: the runtime sends the pty master over
# the socket (SCM_RIGHTS); the process's stdio is the pty slave.
source "$(dirname "$0")/../lib.sh"

recv=$(console_recv_bin)
B=$TEST_TMP/bundle
make_bundle "$B" sh -c 'tty; [ -t 0 ] && [ -t 1 ] && echo stdio-is-tty; stty size; echo hello'
edit_config "$B" '.process.terminal = true | .process.consoleSize = {"height": 33, "width": 101}'

console_test() {   # console_test DESCRIPTION CREATE-SUBCOMMAND...
    local what=$1 sock=$TEST_TMP/console.sock out=$TEST_TMP/console.out id
    shift
    rm -f "$out"
    "$recv" "$sock" "$out" 30 >"$TEST_TMP/recv.ready" 2>"$TEST_TMP/recv.err" &
    local rpid=$!
    track_pid "$rpid"
    wait_file "$TEST_TMP/recv.ready"
    new_id id
    "$@" --console-socket "$sock" --bundle "$B" "$id" </dev/null >"$TEST_TMP/rt.out" 2>&1 || fail "$what: $(cat "$TEST_TMP/rt.out")"
    [ "$1" = rt ] && [ "$2" = create ] && { rt start "$id" || fail "start"; }
    wait "$rpid" || fail "console receiver: $(cat "$TEST_TMP/recv.err")"
    local o
    o=$(tr -d '\r' <"$out")
    assert_match "$(echo "$o" | sed -n 1p)" '^/dev/pts/[0-9]+$' "$what: tty names a pty"
    assert_contains "$o" stdio-is-tty "$what: stdin and stdout are the terminal"
    assert_contains "$o" "33 101" "$what: consoleSize applied"
    assert_contains "$o" hello "$what: output through the pty master"
    wait_status "$id" stopped
    rt delete "$id" || fail "delete"
}
console_test "create+start" rt create
console_test "run -d" rt run -d

# exec -t -d --console-socket into a container whose init has no terminal (podman's exec -t)
B2=$TEST_TMP/bundle2
make_bundle "$B2" sleep 600
new_id ID
run_detached "$ID" "$B2"
sock=$TEST_TMP/exec.sock
"$recv" "$sock" "$TEST_TMP/exec.out" 30 >"$TEST_TMP/recv2.ready" 2>"$TEST_TMP/recv2.err" &
rpid=$!
track_pid "$rpid"
wait_file "$TEST_TMP/recv2.ready"
rt exec -t -d --console-socket "$sock" --pid-file "$TEST_TMP/exec.pid" "$ID" sh -c 'tty; echo exec-hello' </dev/null >/dev/null 2>"$TEST_TMP/exec.err" ||
    fail "exec -t -d: $(cat "$TEST_TMP/exec.err")"
wait "$rpid" || fail "console receiver (exec): $(cat "$TEST_TMP/recv2.err")"
o=$(tr -d '\r' <"$TEST_TMP/exec.out")
assert_match "$(echo "$o" | sed -n 1p)" '^/dev/pts/[0-9]+$' "exec -t: tty names a pty"
assert_contains "$o" exec-hello "exec -t: output through the pty master"

# terminal: true without a console socket on create is an error (nobody could get the master)
new_id ID
out=$(rtc create --bundle "$B" "$ID" </dev/null 2>&1) && fail "create with terminal but no console socket succeeded"
pass "terminal without --console-socket refused"
