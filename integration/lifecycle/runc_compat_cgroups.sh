#!/bin/bash
# Cgroup behaviour as runc 1.2+ has it (differences its bats suite found): a cgroup that
# already holds processes is refused and left alone, pids.limit 0 means 1, exec
# --ignore-paused, and unified resources that cgroup v1 cannot take are an "invalid
# configuration".
source "$(dirname "$0")/../lib.sh"
require_root

cgpath="/myrt-integ-shared-$$"
on_exit "for d in /sys/fs/cgroup/*$cgpath* /sys/fs/cgroup$cgpath*; do [ -d \"\$d\" ] && rmdir \"\$d\"; done 2>/dev/null; true"
B=$TEST_TMP/bundle
make_bundle "$B" sleep 600
edit_config "$B" '.linux.cgroupsPath = $p' --arg p "$cgpath"

new_id FIRST
run_detached "$FIRST" "$B"
first_pid=$(state_of "$FIRST" pid)
new_id SECOND
out=$(rtc run -d --bundle "$B" "$SECOND" </dev/null 2>&1) && fail "a second container in a non-empty cgroup was run"
assert_contains "$out" "container's cgroup is not empty: 1 process(es) found in $cgpath" "non-empty cgroup refused by name"
out=$(rtc create --bundle "$B" "$SECOND" </dev/null 2>&1) && fail "create in a non-empty cgroup succeeded"
assert_contains "$out" "container's cgroup is not empty" "create refused too"
pid_alive "$first_pid" || fail "the refused create killed the container already in the cgroup"
assert_eq running "$(state_of "$FIRST" status)" "the first container keeps running"
[ -e "$STATE/$SECOND" ] && fail "the refused run left state behind"

# exec --ignore-paused: the process waits in the frozen cgroup and runs on resume.
rt pause "$FIRST" || fail "pause"
out=$(rtc exec "$FIRST" true 2>&1) && fail "exec into a paused container without --ignore-paused succeeded"
( sleep 2; rt resume "$FIRST" ) &
track_pid $!
start=$(date +%s%N)
out=$(rtc exec --ignore-paused "$FIRST" echo ok 2>&1) || fail "exec --ignore-paused: $out"
waited=$(( ($(date +%s%N) - start) / 1000000 ))
assert_eq ok "$out" "exec --ignore-paused ran once resumed"
(( waited >= 1000 )) || fail "exec --ignore-paused returned after $waited ms, before the resume"
rt delete -f "$FIRST" >/dev/null 2>&1

# pids.limit 0 is written as 1 (systemd's TasksMax cannot be 0; both drivers agree).
edit_config "$B" '.linux.resources.pids = {"limit": 0} | .linux.cgroupsPath = $p' --arg p "$cgpath-pids"
new_id ID
run_detached "$ID" "$B"
dir=$(cgroup_dir "$(state_of "$ID" pid)" pids) || fail "no pids cgroup"
assert_eq 1 "$(cat "$dir/pids.max")" "pids.limit 0 -> pids.max 1"
rt delete -f "$ID" >/dev/null 2>&1

# linux.resources.unified with a controller the v2 hierarchy lacks (hybrid: all of them are v1).
if [ -d /sys/fs/cgroup/unified ] && ! grep -qw memory /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null; then
    edit_config "$B" 'del(.linux.resources.pids) | .linux.resources.unified = {"memory.min": "131072"} | .linux.cgroupsPath = $p' \
        --arg p "$cgpath-unified"
    new_id ID
    out=$(rtc run -d --bundle "$B" "$ID" </dev/null 2>&1) && fail "unified memory.min on a v1 memory controller accepted"
    assert_contains "$out" "invalid configuration" "runc's words lead the error"
    assert_contains "$out" "memory.min" "the key is named"
fi
