#!/bin/bash
# The process as runc 1.2+ makes it (differences its bats suite found): the environment,
# the working directory, scheduling, I/O priority and CPU affinity, and config keys read
# without regard to case, as Go's encoding/json reads them.
source "$(dirname "$0")/../lib.sh"
require_root

B=$TEST_TMP/bundle
make_bundle "$B" env

# process.env: one entry per key with its last value; an empty HOME is unset, so HOME comes
# from the rootfs's passwd.
edit_config "$B" '.process.env = ["ONE=two", "HOME=/override", "ONE=", "PATH=/usr/bin:/bin", "HOME="]'
out=$(run_fg "$B") || fail "run: $out"
assert_eq "ONE=
PATH=/usr/bin:/bin
HOME=/root" "$out" "env: duplicates keep their last value, empty HOME replaced by the passwd's"

# process.cwd reachable by root only: entered before the user changes (runc's order), so an
# exec as a user without CAP_DAC_OVERRIDE still starts there.
mkdir -p "$B/rootfs/private"
chown 42 "$B/rootfs/private"
chmod 700 "$B/rootfs/private"
edit_config "$B" '.process.cwd = "/private" | .process.user = {"uid": 42, "gid": 42} | .process.env = ["PATH=/bin"]'
set_args "$B" sleep 600
new_id ID
run_detached "$ID" "$B"
out=$(rtc exec --user 0 "$ID" pwd 2>&1) || fail "exec --user 0 into a cwd only uid 42 may enter: $out"
assert_eq /private "$out" "exec --user 0: started in the cwd root cannot search without CAP_DAC_OVERRIDE"
rt delete -f "$ID" >/dev/null 2>&1

# process.scheduler, process.ioPriority and execCPUAffinity, for the init and for exec.
# /proc/PID/stat: field 19 is the nice value, 41 the policy (3 = SCHED_BATCH, 5 = SCHED_IDLE).
edit_config "$B" '.process.cwd = "/" | .process.user = {"uid": 0, "gid": 0}
  | .process.scheduler = {"policy": "SCHED_BATCH", "nice": 7}
  | .process.ioPriority = {"class": "IOPRIO_CLASS_BE", "priority": 4}
  | .process.execCPUAffinity = {"final": "0"}'
new_id ID
run_detached "$ID" "$B"
init=$(state_of "$ID" pid)
stat_field() { awk -v f="$2" '{ sub(/^.*\) /, ""); print $(f - 2) }' "/proc/$1/stat"; }
assert_eq 3 "$(stat_field "$init" 41)" "init: SCHED_BATCH"
assert_eq 7 "$(stat_field "$init" 19)" "init: nice 7"
assert_eq "best-effort: prio 4" "$(rtc exec "$ID" ionice -p 1 2>&1)" "init: I/O priority best-effort 4"
assert_eq 0 "$(awk '$1 == "Cpus_allowed_list:" {print $2}' "/proc/$init/status")" "init: final CPU affinity 0"
out=$(rtc exec "$ID" sh -c 'ionice; grep Cpus_allowed_list /proc/self/status' 2>&1)
assert_contains "$out" "best-effort: prio 4" "exec: I/O priority from config.json"
assert_contains "$out" "Cpus_allowed_list:	0" "exec: CPU affinity from config.json"
cat >"$TEST_TMP/proc.json" <<'JSON'
{"args": ["sh", "-c", "ionice; awk '{ sub(/^.*\\) /, \"\"); print $39 }' /proc/self/stat"], "cwd": "/",
 "ioPriority": {"class": "IOPRIO_CLASS_IDLE"}, "scheduler": {"policy": "SCHED_IDLE"}}
JSON
out=$(rtc exec --process "$TEST_TMP/proc.json" "$ID" 2>&1) || fail "exec --process: $out"
assert_eq "idle
5" "$out" "exec --process: its own I/O class and policy override config.json's"
rt delete -f "$ID" >/dev/null 2>&1

# Without execCPUAffinity the runtime's own affinity does not leak into the container.
online=$(cat /sys/devices/system/cpu/online)
if [ "$online" != 0 ]; then
    edit_config "$B" 'del(.process.scheduler) | del(.process.ioPriority) | del(.process.execCPUAffinity)'
    set_args "$B" grep Cpus_allowed_list /proc/self/status
    new_id ID
    out=$(taskset -c 0 timeout 60 "$MYRT" --root "$STATE" run --bundle "$B" "$ID" </dev/null 2>&1)
    assert_eq "Cpus_allowed_list:	$online" "$out" "taskset -c 0 myrt run: the container gets every CPU back"
fi

# Keys are matched as Go matches them: exactly, else without regard to case.
edit_config "$B" '.process.nonewprivileges = true | del(.process.noNewPrivileges) | .process.ARGS = ["grep", "NoNewPrivs", "/proc/self/status"] | del(.process.args)'
out=$(run_fg "$B") || fail "run with lower-case keys: $out $(cat "$TEST_TMP"/*.err)"
assert_eq "NoNewPrivs:	1" "$out" "process.nonewprivileges and process.ARGS read as noNewPrivileges and args"

# Bad values are refused by name.
edit_config "$B" '.process.args = ["true"] | del(.process.ARGS) | .process.scheduler = {"policy": "SCHED_NOPE"}'
new_id ID
out=$(rtc run --bundle "$B" "$ID" </dev/null 2>&1) && fail "unknown scheduler policy accepted"
assert_contains "$out" 'process.scheduler.policy: unknown policy "SCHED_NOPE"' "unknown policy named"
edit_config "$B" 'del(.process.scheduler) | .process.execCPUAffinity = {"initial": "1-0"}'
out=$(rtc run --bundle "$B" "$ID" </dev/null 2>&1) && fail "bad CPU list accepted"
assert_contains "$out" 'process.execCPUAffinity.initial: "1-0" is not a CPU list' "bad CPU list named"
