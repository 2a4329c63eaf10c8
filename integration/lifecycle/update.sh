#!/bin/bash
# update: --resources FILE, --resources - (stdin), --memory, --pids-limit,
# --cpu-share; each visible in the container's cgroup files on the host.
source "$(dirname "$0")/../lib.sh"

B=$TEST_TMP/bundle
mkdir -p "$TEST_TMP/shared"
# the init waits for a go signal, then tries to fork six children (for the pids limit check)
make_bundle "$B" sh -c 'while [ ! -e /shared/go ]; do sleep 0.05; done; for i in 1 2 3 4 5 6; do sleep 30 & done 2>/shared/err; wait'
add_bind "$B" "$TEST_TMP/shared" /shared
new_id ID
run_detached "$ID" "$B"
pid=$(state_of "$ID" pid)
memdir=$(cgroup_dir "$pid" memory) || fail "no memory cgroup"
pidsdir=$(cgroup_dir "$pid" pids) || fail "no pids cgroup"
cpudir=$(cgroup_dir "$pid" cpu) || fail "no cpu cgroup"
log "memory cgroup $memdir, pids cgroup $pidsdir"

# v1 and v2 name the files differently
if [ -e "$memdir/memory.limit_in_bytes" ]; then memfile=memory.limit_in_bytes; else memfile=memory.max; fi
pidsfile=pids.max
if [ -e "$cpudir/cpu.shares" ]; then cpufile=cpu.shares; else cpufile=cpu.weight; fi
mem() { cat "$memdir/$memfile"; }
pids() { cat "$pidsdir/$pidsfile"; }

cat >"$TEST_TMP/res.json" <<'JSON'
{"memory": {"limit": 67108864}, "pids": {"limit": 77}}
JSON
rt update --resources "$TEST_TMP/res.json" "$ID" || fail "update --resources FILE"
assert_eq 67108864 "$(mem)" "--resources FILE sets the memory limit"
assert_eq 77 "$(pids)" "--resources FILE sets the pids limit"

echo '{"memory": {"limit": 100663296}, "pids": {"limit": 88}}' | rt update --resources - "$ID" || fail "update --resources -"
assert_eq 100663296 "$(mem)" "--resources - sets the memory limit"
assert_eq 88 "$(pids)" "--resources - sets the pids limit"

rt update --resources="$TEST_TMP/res.json" "$ID" || fail "update --resources=FILE"
assert_eq 77 "$(pids)" "--resources=FILE form"

rt update --memory 50331648 "$ID" || fail "update --memory"
assert_eq 50331648 "$(mem)" "--memory"
rt update --pids-limit 99 "$ID" || fail "update --pids-limit"
assert_eq 99 "$(pids)" "--pids-limit"
if [ "$cpufile" = cpu.shares ]; then
    rt update --cpu-share 512 "$ID" || fail "update --cpu-share"
    assert_eq 512 "$(cat "$cpudir/$cpufile")" "--cpu-share"
fi

# bad input: a malformed resources document is refused and changes nothing
echo '{"memory": {"limit": "lots"}}' >"$TEST_TMP/bad.json"
out=$(rtc update --resources "$TEST_TMP/bad.json" "$ID" 2>&1) && fail "update with a malformed resources file succeeded"
pass "malformed resources refused: $out"
assert_eq 50331648 "$(mem)" "memory limit unchanged after a refused update"

# memory and swap (v1 memsw): -1 for memory with swap unset lifts both, as
# runc does; a swap limit below the memory limit is refused before anything
# is written
if [ -e "$memdir/memory.memsw.limit_in_bytes" ]; then
    memsw() { cat "$memdir/memory.memsw.limit_in_bytes"; }
    rt update --memory 64M --memory-swap 128M "$ID" || fail "update --memory --memory-swap"
    assert_eq 134217728 "$(memsw)" "--memory-swap sets memory.memsw.limit_in_bytes"
    rt update --memory -1 "$ID" || fail "update --memory -1 with a memsw limit in place"
    [ "$(mem)" -gt $((1 << 50)) ] || fail "memory limit after --memory -1: $(mem)"
    [ "$(memsw)" -gt $((1 << 50)) ] || fail "memsw limit after --memory -1: $(memsw)"
    pass "--memory -1 lifts the memory and the memory+swap limits"
    rt update --memory 64M --memory-swap 128M "$ID" || fail "update --memory --memory-swap again"
    out=$(rtc update --memory -1 --memory-swap 256M "$ID" 2>&1) && fail "unlimited memory under a 256M memory+swap limit accepted"
    assert_contains "$out" "must be at least memory.limit" "the refusal names the conflict"
    out=$(rtc update --memory 512M --memory-swap 256M "$ID" 2>&1) && fail "memory+swap below memory accepted"
    assert_eq 67108864 "$(mem)" "memory limit unchanged after the refusals"
    assert_eq 134217728 "$(memsw)" "memsw limit unchanged after the refusals"
    rt update --memory 50331648 --memory-swap -1 "$ID" || fail "update back"
else
    log "no memory.memsw.limit_in_bytes here: memory+swap checks skipped"
fi

# the limit is real: the container cannot fork past pids.max
rt update --pids-limit 3 "$ID" || fail "update --pids-limit 3"
touch "$TEST_TMP/shared/go"
wait_file "$TEST_TMP/shared/err"   # busybox sh exits on a failed fork
assert_contains "$(cat "$TEST_TMP/shared/err")" "can't fork" "pids limit enforced inside the container"

