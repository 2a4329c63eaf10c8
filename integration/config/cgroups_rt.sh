#!/bin/bash
# cgroup v1 realtime budget (runc's "update rt period and runtime"): a
# container's cpu.realtimeRuntime works under the runtime's own intermediate
# cgroups and under a nested cgroupsPath, which start with no realtime
# budget: the ancestors are raised to what the request needs. A SCHED_FIFO
# task runs in the container; `update --cpu-rt-runtime` changes it; a request
# beyond the host's budget is a clear error naming the cgroup.
source "$(dirname "$0")/../lib.sh"
require_cmd cc jq

root=$(awk '$3 == "cgroup" && $4 ~ /(^|,)cpu(,|$)/ {print $2; exit}' /proc/mounts)
[ -n "$root" ] && [ -e "$root/cpu.rt_runtime_us" ] || skip "no cgroup v1 cpu hierarchy with realtime group scheduling"
[ "$(cat "$root/cpu.rt_runtime_us")" -ge 100000 ] || skip "the host's realtime budget is below 100000 us"

# A static probe: SCHED_FIFO for itself, then report.
cat >"$TEST_TMP/rtprobe.c" <<'C'
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>
int main(void) {
    struct sched_param p = {.sched_priority = 1};
    if (sched_setscheduler(0, SCHED_FIFO, &p) != 0) { printf("fifo-failed: %s\n", strerror(errno)); return 1; }
    printf("fifo-ok policy=%d\n", sched_getscheduler(0));
    return 0;
}
C
B=$TEST_TMP/bundle
make_bundle "$B" sh -c '/rtprobe; sleep 600'
cc -static -O2 -o "$B/rootfs/rtprobe" "$TEST_TMP/rtprobe.c" || fail "building the probe"
cgpath="/myrt-integ-rt-$$/level/ctr"
on_exit "find /sys/fs/cgroup -maxdepth 5 -depth -type d -path '*/myrt-integ-rt-$$*' -exec rmdir {} + 2>/dev/null"
edit_config "$B" '.linux.cgroupsPath = $p
  | .linux.resources.cpu = {"realtimeRuntime": 20000, "realtimePeriod": 1000000}
  | .process.capabilities |= with_entries(.value += ["CAP_SYS_NICE"])' --arg p "$cgpath"

new_id ID
run_detached "$ID" "$B"
pid=$(state_of "$ID" pid)
d=$(cgroup_dir "$pid" cpu) || fail "no cpu cgroup for $pid"
assert_eq 20000 "$(cat "$d/cpu.rt_runtime_us")" "container cpu.rt_runtime_us"
assert_eq 1000000 "$(cat "$d/cpu.rt_period_us")" "container cpu.rt_period_us"
for a in "$root/myrt-integ-rt-$$" "$root/myrt-integ-rt-$$/level"; do
    [ "$(cat "$a/cpu.rt_runtime_us")" -ge 20000 ] || fail "$a holds $(cat "$a/cpu.rt_runtime_us") us, below the container's 20000"
done
pass "ancestors raised to the container's need ($(cat "$root/myrt-integ-rt-$$/cpu.rt_runtime_us") us at the top)"
for _ in $(seq 50); do grep -q fifo "$TEST_TMP/$ID.out" && break; sleep 0.1; done
assert_contains "$(cat "$TEST_TMP/$ID.out")" "fifo-ok policy=1" "a SCHED_FIFO task runs in the container"

rt update --cpu-rt-period 900001 --cpu-rt-runtime 600001 "$ID" || fail "update --cpu-rt-runtime"
assert_eq 600001 "$(cat "$d/cpu.rt_runtime_us")" "update: cpu.rt_runtime_us"
assert_eq 900001 "$(cat "$d/cpu.rt_period_us")" "update: cpu.rt_period_us"

# The default layout (no cgroupsPath): myrt's own parent cgroup is raised too.
set_args "$B" /rtprobe
edit_config "$B" 'del(.linux.cgroupsPath)'
out=$(run_fg "$B") || fail "run in the default layout: $out"
assert_contains "$out" "fifo-ok" "default layout: SCHED_FIFO task with a realtime budget"

edit_config "$B" '.linux.resources.cpu.realtimeRuntime = $r | .linux.resources.cpu.realtimePeriod = 1000000' --argjson r 999999
new_id XID
out=$(rtc run --bundle "$B" "$XID" </dev/null 2>&1) && fail "a realtime budget beyond the host's was accepted: $out"
assert_contains "$out" "realtimeRuntime" "an impossible budget is a clear error ($out)"
