#!/bin/bash
# myrt as an unprivileged user (nobody, through setpriv): `spec --rootless`, the lifecycle with
# state under $XDG_RUNTIME_DIR/myrt, the container root in its own user namespace, cgroups
# skipped where not delegated, and a clear error for limits that cannot be set.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/as_nobody.sh"

B=$TEST_TMP/bundle
mkdir -p "$B"
make_rootfs "$B/rootfs"
chown -R "$RL_UID:$RL_GID" "$B"
as_user sh -c "cd '$B' && '$MYRT' spec --rootless" || fail "spec --rootless as nobody"
ns=$(jq -c '[.linux.namespaces[].type]' "$B/config.json")
assert_contains "$ns" '"user"' "spec --rootless has a user namespace"
assert_not_contains "$ns" '"network"' "spec --rootless has no network namespace"
assert_eq "0 $RL_UID 1" "$(jq -r '.linux.uidMappings[0] | "\(.containerID) \(.hostID) \(.size)"' "$B/config.json")" \
    "spec --rootless maps the caller's uid to 0"
assert_eq '"/sys" "bind"' "$(jq -r '.mounts[] | select(.destination == "/sys") | "\"\(.source)\" \"\(.options[0] | sub("^r"; ""))\""' "$B/config.json")" \
    "spec --rootless binds the host's /sys"
edit_config "$B" '.process.terminal = false | .process.args = ["sh", "-c", "id; cat /proc/self/uid_map; ls -l /dev/null"]'
chown "$RL_UID:$RL_GID" "$B/config.json"

# run in the foreground: root inside, the caller's uid outside.
out=$(as_user "$MYRT" run --bundle "$B" rl-fg </dev/null 2>"$TEST_TMP/fg.err") || fail "run as nobody: $(cat "$TEST_TMP/fg.err")"
assert_contains "$out" "uid=0(root) gid=0(root)" "the process is root in the container"
assert_match "$(echo "$out" | sed -n 2p)" "^ *0 +$RL_UID +1$" "its uid_map maps 0 to nobody"
assert_match "$(echo "$out" | sed -n 3p)" "^crw-rw-rw- .* /dev/null$" "/dev/null is the host's node, bind-mounted"
[ -d "$XDG/myrt" ] || fail "no state root at \$XDG_RUNTIME_DIR/myrt"
pass "state root made at \$XDG_RUNTIME_DIR/myrt"

# create/start/state/list/kill/delete, all as nobody with the default root.
edit_config "$B" '.process.args = ["sh", "-c", "sleep 301 & sleep 302 & wait"]'
as_user "$MYRT" create --bundle "$B" rl-bg </dev/null >/dev/null 2>"$TEST_TMP/create.err" ||
    fail "create as nobody: $(cat "$TEST_TMP/create.err")"
on_exit "setpriv --reuid=$RL_UID --regid=$RL_GID --clear-groups env XDG_RUNTIME_DIR='$XDG' '$MYRT' delete --force rl-bg"
[ -f "$XDG/myrt/rl-bg/state.json" ] || fail "create kept no state under \$XDG_RUNTIME_DIR/myrt"
pass "state of rl-bg is under \$XDG_RUNTIME_DIR/myrt"
assert_eq created "$(as_user "$MYRT" state rl-bg | jq -r .status)" "state after create"
as_user "$MYRT" start rl-bg || fail "start as nobody"
assert_eq running "$(as_user "$MYRT" state rl-bg | jq -r .status)" "state after start"
pid=$(as_user "$MYRT" state rl-bg | jq -r .pid)
assert_eq "$RL_UID" "$(stat -c %u "/proc/$pid")" "the container's init is owned by nobody on the host"
assert_eq rl-bg "$(as_user "$MYRT" list -q)" "list shows the container"
# In no cgroup of its own, the container's processes are its process tree.
for _ in $(seq 50); do [ "$(as_user "$MYRT" ps --format json rl-bg | jq length)" = 3 ] && break; sleep 0.1; done
procs=$(as_user "$MYRT" ps --format json rl-bg) || fail "ps as nobody"
assert_eq 3 "$(jq length <<<"$procs")" "ps lists the init and its two children without a cgroup ($procs)"
as_user "$MYRT" kill --all rl-bg TERM || fail "kill --all as nobody"
for p in $(jq -r '.[]' <<<"$procs"); do wait_gone "$p"; done
pass "kill --all reached every process of a container in no cgroup"
assert_eq stopped "$(as_user "$MYRT" state rl-bg | jq -r .status)" "state after kill"
as_user "$MYRT" delete rl-bg || fail "delete as nobody"
assert_eq "" "$(as_user "$MYRT" list -q)" "nothing listed after delete"

# A limit in a cgroup nobody may not create is refused, naming what is wrong.
edit_config "$B" '.process.args = ["true"] | .linux.resources = {"memory": {"limit": 67108864}}'
as_user "$MYRT" run --bundle "$B" rl-lim </dev/null >/dev/null 2>"$TEST_TMP/lim.err" && fail "a memory limit without a delegated cgroup was accepted"
assert_contains "$(cat "$TEST_TMP/lim.err")" "sets memory limits, but uid $RL_UID may not create" "the refusal names the controller and the uid"
[ -e "$XDG/myrt/rl-lim" ] && fail "the refused container left its state behind"
pass "the refused container left nothing"

# --root still wins over $XDG_RUNTIME_DIR.
R=$TEST_TMP/own-root
mkdir -p "$R" && chown "$RL_UID:$RL_GID" "$R"
edit_config "$B" 'del(.linux.resources) | .process.args = ["true"]'
as_user "$MYRT" --root "$R" run --bundle "$B" rl-root </dev/null || fail "run with --root as nobody"
[ -d "$XDG/myrt/rl-root" ] && fail "--root was ignored"
pass "--root wins over \$XDG_RUNTIME_DIR"

# A cgroup delegated to nobody (a pids subtree it owns) is used, and its limit set; the
# hierarchies not delegated are skipped (the config limits nothing there).
PIDS_MNT=$(awk '$3 == "cgroup" && $4 ~ /(^|,)pids(,|$)/ {print $2; exit}' /proc/mounts)
if [ -n "$PIDS_MNT" ]; then
    DELEG=$PIDS_MNT/myrt-rootless-$$
    mkdir "$DELEG" || fail "mkdir $DELEG"
    on_exit "rmdir '$DELEG'/c '$DELEG'"
    chown "$RL_UID:$RL_GID" "$DELEG" "$DELEG/cgroup.procs" "$DELEG/tasks"
    edit_config "$B" '.linux.cgroupsPath = $p | .linux.resources = {"pids": {"limit": 42}} | .process.args = ["sleep", "300"]' \
        --arg p "/myrt-rootless-$$/c"
    as_user "$MYRT" run -d --bundle "$B" rl-deleg </dev/null >/dev/null 2>"$TEST_TMP/deleg.err" ||
        fail "run in a delegated cgroup: $(cat "$TEST_TMP/deleg.err")"
    on_exit "setpriv --reuid=$RL_UID --regid=$RL_GID --clear-groups env XDG_RUNTIME_DIR='$XDG' '$MYRT' delete --force rl-deleg"
    pid=$(as_user "$MYRT" state rl-deleg | jq -r .pid)
    assert_eq 42 "$(cat "$DELEG/c/pids.max")" "the pids limit is set in the delegated cgroup"
    assert_contains "$(cat "/proc/$pid/cgroup")" "pids:/myrt-rootless-$$/c" "the container is in the delegated cgroup"
    as_user "$MYRT" delete --force rl-deleg || fail "delete --force in a delegated cgroup"
    [ -d "$DELEG/c" ] && fail "delete left the delegated cgroup behind"
    pass "delete removed the delegated cgroup"
else
    log "no v1 pids hierarchy: the delegated-cgroup case is not run"
fi
