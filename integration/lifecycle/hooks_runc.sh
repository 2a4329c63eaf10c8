#!/bin/bash
# Hooks as runc runs them: a hook without `env` inherits the runtime's environment;
# the state on each hook's stdin has runc's fields in runc's order; a failing
# poststart hook fails start and run, and the container is killed and removed.
source "$(dirname "$0")/../lib.sh"

S=$TEST_TMP/shared
mkdir -p "$S"
# Saves its stdin and the variable it may inherit next to itself (startContainer's
# copy is the same file seen inside the container at /shared).
cat >"$S/hook.sh" <<'SH'
#!/bin/sh
d=$(dirname "$0")
cat >"$d/state.$1"
echo "${MYRT_HOOK_RUNC_VAR:-unset}" >"$d/env.$1"
[ "$1" != fail ] || { echo "poststart failing on purpose" >&2; exit 3; }
exit 0
SH
chmod 755 "$S/hook.sh"

B=$TEST_TMP/bundle
make_bundle "$B" sh -c 'echo ready >/shared/ready; exec sleep 600'
add_bind "$B" "$S" /shared
h() { jq -n --arg p "$1" --arg n "$2" '{"path": $p, "args": ["hook.sh", $n]}'; }
edit_config "$B" '.annotations = {"org.example.k": "v"} | .hooks = {
    "prestart": [$pre], "createRuntime": [$cr], "createContainer": [$cc],
    "startContainer": [$sc], "poststart": [$ps], "poststop": [$pst]}' \
    --argjson pre "$(h "$S/hook.sh" prestart)" --argjson cr "$(h "$S/hook.sh" createRuntime)" \
    --argjson cc "$(h "$S/hook.sh" createContainer)" --argjson sc "$(h /shared/hook.sh startContainer)" \
    --argjson ps "$(h "$S/hook.sh" poststart)" --argjson pst "$(h "$S/hook.sh" poststop)"
new_id ID
MYRT_HOOK_RUNC_VAR=from-the-runtime rt create --bundle "$B" "$ID" </dev/null >"$TEST_TMP/out" 2>&1 ||
    fail "create: $(cat "$TEST_TMP/out")"
pid=$(state_of "$ID" pid)
MYRT_HOOK_RUNC_VAR=from-the-runtime rt start "$ID" >"$TEST_TMP/out" 2>&1 || fail "start: $(cat "$TEST_TMP/out")"
wait_file "$S/ready"
rt kill "$ID" KILL; wait_status "$ID" stopped
MYRT_HOOK_RUNC_VAR=from-the-runtime rt delete "$ID" || fail "delete"

for n in prestart createRuntime createContainer poststart poststop; do
    assert_eq from-the-runtime "$(cat "$S/env.$n")" "$n hook without env inherits the runtime's environment"
done
with_pid='["ociVersion","id","status","pid","bundle","annotations"]'
for n in prestart createRuntime createContainer startContainer poststart; do
    assert_eq "$with_pid" "$(jq -c keys_unsorted "$S/state.$n")" "$n state has runc's fields in runc's order"
done
assert_eq '["ociVersion","id","status","bundle","annotations"]' "$(jq -c keys_unsorted "$S/state.poststop")" \
    "poststop state has no pid"
for n in prestart createRuntime createContainer; do
    assert_eq creating "$(jq -r .status "$S/state.$n")" "$n sees status creating"
    assert_eq "$pid" "$(jq -r .pid "$S/state.$n")" "$n sees the init's pid"
done
assert_eq created "$(jq -r .status "$S/state.startContainer")" "startContainer sees status created (runc)"
assert_eq 1 "$(jq -r .pid "$S/state.startContainer")" "startContainer sees the pid inside the container (runc)"
assert_eq running "$(jq -r .status "$S/state.poststart")" "poststart sees status running"
assert_eq "$pid" "$(jq -r .pid "$S/state.poststart")" "poststart sees the init's pid"
assert_eq stopped "$(jq -r .status "$S/state.poststop")" "poststop sees status stopped"
assert_eq "$B" "$(jq -r .bundle "$S/state.prestart")" "hooks see the bundle"
assert_eq v "$(jq -r '.annotations["org.example.k"]' "$S/state.prestart")" "hooks see the annotations"

# "env": [] is an empty environment, not the runtime's
edit_config "$B" '.hooks = {"prestart": [{"path": $p, "args": ["hook.sh", "prestart"], "env": []}]}' --arg p "$S/hook.sh"
rm -f "$S"/env.* "$S/ready"
new_id ID
MYRT_HOOK_RUNC_VAR=from-the-runtime rt create --bundle "$B" "$ID" </dev/null >"$TEST_TMP/out" 2>&1 ||
    fail "create: $(cat "$TEST_TMP/out")"
assert_eq unset "$(cat "$S/env.prestart")" "a hook with env [] gets an empty environment"
rt delete --force "$ID"

# A failing poststart hook fails start; the container is killed and removed.
edit_config "$B" '.annotations = {} | .hooks = {"poststart": [$f]}' --argjson f "$(h "$S/hook.sh" fail)"
rm -f "$S/ready"
new_id ID
rt create --bundle "$B" "$ID" </dev/null >"$TEST_TMP/out" 2>&1 || fail "create: $(cat "$TEST_TMP/out")"
pid=$(state_of "$ID" pid)
out=$(rtc start "$ID" 2>&1) && fail "start with a failing poststart hook succeeded"
assert_contains "$out" "poststart hook $S/hook.sh" "start's error names the poststart hook: $out"
wait_gone "$pid"
pass "the container's init is killed"
out=$(rtc state "$ID" 2>&1) && fail "state of $ID exists after its poststart hook failed: $out"
assert_contains "$out" "does not exist" "the container is removed after a failed poststart"

# The same with run -d and with run in the foreground.
for mode in -d fg; do
    new_id ID
    flags=(); [ "$mode" = -d ] && flags=(-d)
    rt run "${flags[@]}" --bundle "$B" "$ID" </dev/null >"$TEST_TMP/out" 2>&1 &&
        fail "run $mode with a failing poststart hook succeeded"
    assert_contains "$(cat "$TEST_TMP/out")" "poststart hook $S/hook.sh" "run $mode fails naming the poststart hook"
    out=$(rtc state "$ID" 2>&1) && fail "state of $ID exists after run $mode's poststart hook failed"
    assert_contains "$out" "does not exist" "run $mode removes the container after a failed poststart"
done
