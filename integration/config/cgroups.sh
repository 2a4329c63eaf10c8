#!/bin/bash
# linux.resources (memory, pids, cpu, cpuset) land in the host's cgroup files
# for the container's pid; cgroupsPath places the cgroup; delete removes it.
source "$(dirname "$0")/../lib.sh"

B=$TEST_TMP/bundle
make_bundle "$B" sleep 600
cgpath="/myrt-integ-$$/ctr"
# delete removes the container's cgroups; the parent this test named is ours to remove.
on_exit "for h in /sys/fs/cgroup/*/ /sys/fs/cgroup/; do rmdir \"\${h}myrt-integ-$$\"; done"
edit_config "$B" '.linux.cgroupsPath = $p | .linux.resources += {
    "memory": {"limit": 67108864},
    "pids": {"limit": 42},
    "cpu": {"shares": 256, "quota": 50000, "period": 100000, "cpus": "0"}}' --arg p "$cgpath"
# the runtime removes its leaf cgroups; the parents it made are the test's to remove
on_exit "find /sys/fs/cgroup -maxdepth 4 -depth -type d -path '*/myrt-integ-$$*' -exec rmdir {} +"
new_id ID
run_detached "$ID" "$B"
pid=$(state_of "$ID" pid)

for c in memory pids cpu cpuset; do
    d=$(cgroup_dir "$pid" $c) || fail "no $c cgroup for $pid"
    assert_match "$d" "$cgpath\$" "$c cgroup follows cgroupsPath"
done
mem=$(cgroup_dir "$pid" memory); pids=$(cgroup_dir "$pid" pids); cpu=$(cgroup_dir "$pid" cpu); cpuset=$(cgroup_dir "$pid" cpuset)
if [ -e "$mem/memory.limit_in_bytes" ]; then
    assert_eq 67108864 "$(cat "$mem/memory.limit_in_bytes")" "memory.limit_in_bytes"
    assert_eq 42 "$(cat "$pids/pids.max")" "pids.max"
    assert_eq 256 "$(cat "$cpu/cpu.shares")" "cpu.shares"
    assert_eq 50000 "$(cat "$cpu/cpu.cfs_quota_us")" "cpu.cfs_quota_us"
    assert_eq 100000 "$(cat "$cpu/cpu.cfs_period_us")" "cpu.cfs_period_us"
    assert_eq 0 "$(cat "$cpuset/cpuset.cpus")" "cpuset.cpus"
else
    assert_eq 67108864 "$(cat "$mem/memory.max")" "memory.max"
    assert_eq 42 "$(cat "$pids/pids.max")" "pids.max"
    assert_eq "50000 100000" "$(cat "$cpu/cpu.max")" "cpu.max"
    assert_eq 0 "$(cat "$cpuset/cpuset.cpus")" "cpuset.cpus"
fi
grep -qx "$pid" "$pids/cgroup.procs" || fail "container pid $pid not in $pids/cgroup.procs"
pass "container pid is in the cgroup"

# the devices cgroup (v1): default rules allow /dev/null (c 1:3) and deny the rest
dev=$(cgroup_dir "$pid" devices) && [ -e "$dev/devices.list" ] && {
    list=$(cat "$dev/devices.list")
    assert_contains "$list" "c 1:3 rwm" "devices.list allows /dev/null"
    assert_not_contains "$list" "a *:* rwm" "devices.list does not allow everything"
}

rt kill "$ID" KILL; wait_status "$ID" stopped
rt delete "$ID" || fail "delete"
[ ! -d "$mem" ] || fail "memory cgroup $mem left after delete"
[ ! -d "$pids" ] || fail "pids cgroup $pids left after delete"
pass "delete removes the container's cgroups"

# a limit the container exceeds: the memory limit OOM-kills a hog
edit_config "$B" '.linux.cgroupsPath = $p | .linux.resources = {"memory": {"limit": 16777216, "swap": 16777216}}' --arg p "$cgpath-oom"
set_args "$B" sh -c 'x=$(head -c 67108864 /dev/zero | tr "\0" a); echo survived'
new_id ID
out=$(rtc run --bundle "$B" "$ID" </dev/null 2>&1)
rc=$?
assert_not_contains "$out" survived "64 MiB in a 16 MiB container does not survive"
[ "$rc" -ne 0 ] || fail "OOM-killed container exited 0"
pass "OOM kill gives a non-zero exit ($rc)"
