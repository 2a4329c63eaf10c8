#!/bin/bash
# exec into a running container: args form, --process file, --env, --cwd,
# --user, exit codes, -d with --pid-file, and refusal on a stopped container.
source "$(dirname "$0")/../lib.sh"

B=$TEST_TMP/bundle
make_bundle "$B" sleep 600
edit_config "$B" '.process.env += ["FROM_CONFIG=yes"]'
new_id ID
run_detached "$ID" "$B"
init=$(state_of "$ID" pid)

out=$(rtc exec "$ID" sh -c 'echo hello from exec' </dev/null 2>&1) || fail "exec: $out"
assert_eq "hello from exec" "$out" "exec args form"
out=$(rtc exec "$ID" readlink /proc/1/exe </dev/null 2>&1)
assert_eq /bin/busybox "$out" "exec runs inside the container's pid namespace and rootfs"
[ "$(rtc exec "$ID" readlink /proc/self/ns/mnt </dev/null)" = "$(readlink /proc/"$init"/ns/mnt)" ] || fail "exec not in the container's mount namespace"
pass "exec joins the container's mount namespace"

rt exec "$ID" sh -c 'exit 42' </dev/null
assert_eq 42 "$?" "exec exit code propagated"

out=$(rtc exec --env FOO=bar --env BAZ=qux "$ID" sh -c 'echo "$FOO $BAZ $FROM_CONFIG"' </dev/null 2>&1)
assert_eq "bar qux yes" "$out" "--env (repeated) adds to the config's env"
out=$(rtc exec --cwd /tmp "$ID" pwd </dev/null 2>&1)
assert_eq /tmp "$out" "--cwd"
out=$(rtc exec --user 1000:1000 "$ID" id </dev/null 2>&1)
assert_contains "$out" "uid=1000" "--user uid"
assert_contains "$out" "gid=1000" "--user gid"
out=$(rtc exec --user=1000:1000 --cwd=/home/user "$ID" sh -c 'id -u; pwd' </dev/null 2>&1)
assert_eq "$(printf '1000\n/home/user')" "$out" "--flag=value forms"

# --process FILE: a full OCI process object
cat >"$TEST_TMP/process.json" <<'JSON'
{
  "terminal": false,
  "user": {"uid": 1000, "gid": 1000, "additionalGids": [100]},
  "args": ["sh", "-c", "echo proc:$PROC_VAR:$(pwd):$(id -u):$(id -G)"],
  "env": ["PATH=/bin", "PROC_VAR=fromfile"],
  "cwd": "/home/user"
}
JSON
out=$(rtc exec --process "$TEST_TMP/process.json" "$ID" </dev/null 2>&1) || fail "exec --process: $out"
assert_eq "proc:fromfile:/home/user:1000:1000 100" "$out" "--process file"

# -d with --pid-file: returns at once, the pid file names the exec'd process
rt exec -d --pid-file "$TEST_TMP/exec.pid" "$ID" sleep 300 </dev/null >/dev/null 2>&1 || fail "exec -d"
p=$(cat "$TEST_TMP/exec.pid")
assert_eq 0 "$(tr -d '0-9' <"$TEST_TMP/exec.pid" | wc -c)" "exec pid file holds digits only, no newline"
pid_alive "$p" || fail "exec -d process $p not running"
assert_eq sleep "$(cat /proc/"$p"/comm)" "exec pid file names the exec'd process"
assert_eq "$(readlink /proc/"$init"/ns/pid)" "$(readlink /proc/"$p"/ns/pid)" "exec -d process in the container's pid namespace"
rt ps --format json "$ID" | jq -e --argjson p "$p" 'index($p) != null' >/dev/null || fail "ps does not list the exec'd pid $p"
pass "ps lists the exec'd process"

# exec into a stopped container is refused
rt kill "$ID" KILL
wait_status "$ID" stopped
out=$(rtc exec "$ID" true </dev/null 2>&1) && fail "exec into a stopped container succeeded"
pass "exec into a stopped container refused: $out"
