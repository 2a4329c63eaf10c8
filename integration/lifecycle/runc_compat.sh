#!/bin/bash
# Differences runc's own bats suite (tests/integration) found, each checked the
# way that suite checks it.
source "$(dirname "$0")/../lib.sh"
require_root

B=$TEST_TMP/bundle
make_bundle "$B" sh -c 'echo one; echo two'

# run with process.terminal and no --console-socket: the pty is proxied to our
# stdout with ONLCR cleared (runc's tty.go), so lines end in "\n", not "\r\n".
edit_config "$B" '.process.terminal = true'
for i in 1 2 3; do
    out=$(run_fg "$B" | od -An -c | tr -s ' ')
    assert_eq " o n e \n t w o \n" "$out" "run -t (proxied terminal), try $i: output keeps plain newlines"
done
edit_config "$B" '.process.terminal = false | .process.args = ["sleep", "600"]'
new_id ID
run_detached "$ID" "$B"
out=$(rt exec -t "$ID" sh -c 'echo a; echo b' </dev/null 2>&1 | od -An -c | tr -s ' ')
assert_eq " a \n b \n" "$out" "exec -t (proxied terminal): output keeps plain newlines"
rt delete -f "$ID" >/dev/null 2>&1

# an execve that fails after start (the interpreter of a script is missing):
# one line on stderr in runc's wording, nothing else.
printf '#!/mmnnttbb foo bar\nsh\n' >"$B/rootfs/run.sh"
chmod +x "$B/rootfs/run.sh"
set_args "$B" /run.sh
new_id ID
out=$(rtc run --bundle "$B" "$ID" </dev/null 2>&1)
rc=$?
[ "$rc" != 0 ] || fail "run of a script with a missing interpreter succeeded"
assert_eq "exec /run.sh: no such file or directory" "$out" "execve failure: runc's single line"

# Descriptors the caller leaves open (not --preserve-fds) do not reach the
# container's init, which waits in `created` holding only its own.
B=$TEST_TMP/bundle-fds
make_bundle "$B" sleep 600
new_id ID
exec 7>"$TEST_TMP/caller-fd"
rt create --bundle "$B" "$ID" </dev/null >/dev/null 2>"$TEST_TMP/create.err" || fail "create: $(cat "$TEST_TMP/create.err")"
exec 7>&-
init=$(state_of "$ID" pid)
leaks=$(for l in /proc/"$init"/fd/*; do readlink "$l"; done | grep -c "caller-fd")
assert_eq 0 "$leaks" "the caller's fd 7 is not open in the created container's init"
rt delete -f "$ID" >/dev/null 2>&1
B=$TEST_TMP/bundle-fds-run
make_bundle "$B" sh -c 'ls /proc/self/fd | wc -l'
new_id ID
out=$(rtc run --preserve-fds 1 --bundle "$B" "$ID" 3>/dev/null 7>"$TEST_TMP/caller-fd" </dev/null)
assert_eq 5 "$out" "run --preserve-fds 1: fds 0-3 and ls's own directory fd, not the caller's fd 7"

# kill: --all on a stopped container is no error (runc); without it, it is.
B=$TEST_TMP/bundle-kill
make_bundle "$B" sleep 600
new_id ID
run_detached "$ID" "$B"
rt kill "$ID" KILL || fail "kill KILL"
wait_status "$ID" stopped
out=$(rtc kill "$ID" 0 2>&1) && fail "kill 0 of a stopped container succeeded"
assert_contains "$out" "container not running" "kill 0 of a stopped container"
rt kill -a "$ID" 0 2>&1 || fail "kill -a ID 0 of a stopped container failed"
pass "kill -a of a stopped container is no error"
rt delete "$ID" || fail "delete of the stopped container"

# kill KILL of a container in the host pid namespace kills all its processes
# (its init is not special to the kernel), also after the init is gone.
edit_config "$B" '.linux.namespaces -= [{"type": "pid"}]'
for init_gone in 0 1; do
    new_id ID
    run_detached "$ID" "$B"
    init=$(state_of "$ID" pid)
    for _ in 1 2 3; do rt exec -d "$ID" sleep 600 </dev/null >/dev/null 2>&1 || fail "exec -d sleep"; done
    procs=$(cgroup_dir "$init" pids)/cgroup.procs
    mapfile -t pids <"$procs"
    [ "${#pids[@]}" -ge 4 ] || fail "expected the init and 3 sleeps in $procs, got ${pids[*]}"
    if [ "$init_gone" = 1 ]; then kill -9 "$init"; wait_gone "$init"; fi
    rt kill "$ID" KILL || fail "kill KILL (host pidns, init gone: $init_gone)"
    for p in "${pids[@]}"; do wait_gone "$p"; done
    pass "kill KILL in the host pid namespace (init gone: $init_gone) killed all ${#pids[@]} processes"
    rt delete -f "$ID" >/dev/null 2>&1
done

# list: a --root that does not exist is an error (a missing default root is an empty list).
out=$(timeout 20 "$MYRT" --root "$TEST_TMP/no-such-root" list 2>&1) && fail "list with a missing --root succeeded: $out"
pass "list with a missing --root fails"
out=$(rt list -q) || fail "list of an existing empty root: $out"

# help and version in runc's layout, named as invoked (runc's suite greps these lines).
ln -s "$MYRT" "$TEST_TMP/runc"
mapfile -t h < <("$TEST_TMP/runc" --help)
assert_eq "NAME:" "${h[0]}" "--help starts with NAME:"
assert_match "${h[1]}" '^   runc - Open Container Initiative runtime' "--help names the program as invoked"
for cmd in create exec checkpoint restore; do
    mapfile -t h < <("$MYRT" "$cmd" -h)
    assert_eq "NAME:" "${h[0]}" "$cmd -h starts with NAME:"
    assert_match "${h[1]}" "^   $(basename "$MYRT") $cmd - " "$cmd -h: second line names the command"
done
out=$("$MYRT" foo -h 2>&1) && fail "help of an unknown command succeeded"
assert_eq "No help topic for 'foo'" "$out" "help of an unknown command"
mapfile -t v < <("$TEST_TMP/runc" -v)
assert_match "${v[0]}" '^runc version [0-9]+\.[0-9]+\.[0-9]+' "version line"
assert_match "${v[1]}" '^commit: .' "commit line"
assert_match "${v[2]}" '^spec: [0-9]+\.[0-9]+\.[0-9]+' "spec line"

# A failing hook is named as runc names it: "error running KIND hook #N:" (N from 0).
B=$TEST_TMP/bundle-hooks
make_bundle "$B" true
edit_config "$B" '.hooks.createRuntime = [{"path": "/bin/true"}, {"path": "/bin/false"}]'
new_id ID
out=$(rtc create --bundle "$B" "$ID" </dev/null 2>&1) && fail "create with a failing createRuntime hook succeeded"
assert_contains "$out" "error running createRuntime hook #1: " "failing second createRuntime hook"
