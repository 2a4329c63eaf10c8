#!/bin/bash
# All six hook kinds run in order, each with the state JSON on stdin (status and
# pid as the spec gives them); a failing createRuntime hook fails create and
# leaves nothing behind; a hook timeout is enforced.
source "$(dirname "$0")/../lib.sh"

S=$TEST_TMP/shared
mkdir -p "$S"
# The hook appends "NAME STATUS PID" to hooks.log next to itself: startContainer's
# path resolves inside the container (/shared), the others on the host; the
# script is the same file, bind-mounted, and works with dash or busybox sh.
cat >"$S/hook.sh" <<'SH'
#!/bin/sh
dir=$(dirname "$0")
state=$(cat)
status=$(echo "$state" | sed -n 's/.*"status" *: *"\([a-z]*\)".*/\1/p')
pid=$(echo "$state" | sed -n 's/.*"pid" *: *\([0-9]*\).*/\1/p')
id=$(echo "$state" | sed -n 's/.*"id" *: *"\([^"]*\)".*/\1/p')
# A slow startContainer shows whether poststart waits for the process to run.
[ "$1" != startContainer ] || sleep 1
echo "$1 $status ${pid:-none} $id $2" >>"$dir/hooks.log"
[ "$1" != fail ] || { echo "hook $1 failing on purpose" >&2; exit 3; }
SH
chmod 755 "$S/hook.sh"

B=$TEST_TMP/bundle
make_bundle "$B" sh -c 'echo main >>/shared/hooks.log'
add_bind "$B" "$S" /shared
h() { jq -n --arg p "$1" --arg n "$2" '{"path": $p, "args": ["hook.sh", $n, "arg2"], "env": ["HOOKENV=1"]}'; }
edit_config "$B" '.hooks = {
    "prestart": [$pre], "createRuntime": [$cr, $cr2], "createContainer": [$cc],
    "startContainer": [$sc], "poststart": [$ps], "poststop": [$pst]}' \
    --argjson pre "$(h "$S/hook.sh" prestart)" --argjson cr "$(h "$S/hook.sh" createRuntime)" \
    --argjson cr2 "$(h "$S/hook.sh" createRuntime2)" --argjson cc "$(h "$S/hook.sh" createContainer)" \
    --argjson sc "$(h /shared/hook.sh startContainer)" --argjson ps "$(h "$S/hook.sh" poststart)" \
    --argjson pst "$(h "$S/hook.sh" poststop)"
new_id ID

rt create --bundle "$B" "$ID" </dev/null >"$TEST_TMP/out" 2>&1 || fail "create: $(cat "$TEST_TMP/out")"
pid=$(state_of "$ID" pid)
order=$(awk '{print $1}' "$S/hooks.log" | xargs)
assert_eq "prestart createRuntime createRuntime2 createContainer" "$(echo "$order" | cut -d' ' -f1-4)" "create runs prestart, createRuntime (in order), createContainer"
# runc 1.1 runs poststart at create; the spec says after the process starts
strict assert_eq "prestart createRuntime createRuntime2 createContainer" "$order" "create runs no other hook"
rt start "$ID" || fail "start"
wait_status "$ID" stopped
rt delete "$ID" || fail "delete"
log "hooks.log:"; cat "$S/hooks.log" >&2

order=$(awk '{print $1}' "$S/hooks.log" | xargs)
assert_eq "prestart createRuntime createRuntime2 createContainer" "$(echo "$order" | cut -d' ' -f1-4)" "create-time hooks first, in order"
assert_contains "$order" "startContainer main" "startContainer runs just before the process"
assert_eq poststop "${order##* }" "poststop last"
assert_eq 8 "$(echo "$order" | wc -w)" "each hook ran once"
# The process's own "main" line races with poststart (both run once it has
# started), so the hooks' order is checked without it.
strict assert_eq "prestart createRuntime createRuntime2 createContainer startContainer poststart poststop" \
    "$(echo "$order" | sed 's/ main//')" "all six kinds in the spec's order around the process"
status_of() { awk -v n="$1" '$1 == n {print $2}' "$S/hooks.log"; }
pid_of() { awk -v n="$1" '$1 == n {print $3}' "$S/hooks.log"; }
for n in prestart createRuntime createContainer; do
    assert_eq creating "$(status_of $n)" "$n sees status creating"
done
for n in prestart createRuntime; do
    assert_eq "$pid" "$(pid_of $n)" "$n sees the container's host pid"
done
# runc 1.1 hands createContainer the pid as seen inside the container (1)
strict assert_eq "$pid" "$(pid_of createContainer)" "createContainer sees the container's host pid"
assert_eq created "$(status_of startContainer)" "startContainer sees status created"
strict assert_eq running "$(status_of poststart)" "poststart sees status running"
assert_eq "$pid" "$(pid_of poststart)" "poststart sees the container pid"
assert_eq stopped "$(status_of poststop)" "poststop sees status stopped"
assert_eq "$ID" "$(awk '$1 == "poststop" {print $4}' "$S/hooks.log")" "hooks see the container id"
assert_eq arg2 "$(awk '$1 == "poststart" {print $5}' "$S/hooks.log")" "hook args passed (args[0] is the name)"

# run: create and start in one process (no exec fifo), the same hooks in the same order.
: >"$S/hooks.log"
new_id ID
rt run --bundle "$B" "$ID" </dev/null >"$TEST_TMP/out" 2>&1 || fail "run: $(cat "$TEST_TMP/out")"
order=$(awk '{print $1}' "$S/hooks.log" | xargs)
log "run's hooks.log: $order"
assert_contains "$order" "startContainer main" "run: startContainer runs just before the process"
assert_eq poststop "${order##* }" "run: poststop last"
strict assert_eq "prestart createRuntime createRuntime2 createContainer startContainer poststart poststop" \
    "$(echo "$order" | sed 's/ main//')" "run: all six kinds in the spec's order around the process"

# A failing createRuntime hook fails create; no container, process or cgroup remains.
: >"$S/hooks.log"
edit_config "$B" '.hooks = {"createRuntime": [$f]}' --argjson f "$(h "$S/hook.sh" fail)"
new_id ID
out=$(rtc create --bundle "$B" "$ID" </dev/null 2>&1) && fail "create with a failing createRuntime hook succeeded"
pass "failing createRuntime hook fails create"
fpid=$(awk '$1 == "fail" {print $3}' "$S/hooks.log")
assert_match "$fpid" '^[0-9]+$' "the failing hook saw a pid"
wait_gone "$fpid"
pass "the container process is gone"
out=$(rtc state "$ID" 2>&1) && fail "state exists after a failed create"
assert_contains "$out" "does not exist" "no state left behind"
left=$(find /sys/fs/cgroup -maxdepth 5 -type d -name "$ID" 2>/dev/null)
[ -z "$left" ] || fail "cgroups left behind: $left"
pass "no cgroup left behind"

# A hook that outlives its timeout fails create too.
cat >"$S/slow.sh" <<'SH'
#!/bin/sh
cat >/dev/null
exec sleep 30
SH
chmod 755 "$S/slow.sh"
edit_config "$B" '.hooks = {"createRuntime": [{"path": $p, "timeout": 1}]}' --arg p "$S/slow.sh"
new_id ID
t0=$(date +%s)
out=$(rtc create --bundle "$B" "$ID" </dev/null 2>&1) && fail "create with a timed-out hook succeeded"
[ $(( $(date +%s) - t0 )) -lt 15 ] || fail "hook timeout of 1s not enforced"
pass "hook timeout enforced"
out=$(rtc state "$ID" 2>&1) && fail "state exists after a hook timeout"
pass "no state left after a hook timeout"
