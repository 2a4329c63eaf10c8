#!/bin/bash
# events: --stats prints one usage object in runc's shape; the stream prints
# usage every --interval and an OOM kill in the container's cgroup as it happens,
# and ends when the container's init exits.
source "$(dirname "$0")/../lib.sh"

B=$TEST_TMP/bundle
make_bundle "$B" sleep 600
limit=$((48 * 1024 * 1024))
# memory+swap capped too where the host accounts swap, so the kill cannot be avoided by swapping
if [ -e /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes ] || [ ! -d /sys/fs/cgroup/memory ]; then
    edit_config "$B" '.linux.resources.memory = {"limit": $l, "swap": $l}' --argjson l "$limit"
else
    edit_config "$B" '.linux.resources.memory = {"limit": $l}' --argjson l "$limit"
fi
# v1 counts a cgroup's block I/O only under a throttle rule: a rule too high to
# bite on the disk under the rootfs, when that is a whole disk.
dev=$(stat -c '%Hd:%Ld' "$B/rootfs")
BLKIO=0
if [ "${dev%%:*}" != 0 ] && [ -e "/sys/dev/block/$dev" ] && [ ! -e "/sys/dev/block/$dev/partition" ]; then
    BLKIO=1
    edit_config "$B" '.linux.resources.blockIO = {"throttleWriteBpsDevice": [{"major": $M, "minor": $m, "rate": 10737418240}]}' \
        --argjson M "${dev%%:*}" --argjson m "${dev##*:}"
fi
new_id ID
run_detached "$ID" "$B"

out=$(rtc events --stats "$ID") || fail "events --stats: $out"
assert_eq 1 "$(wc -l <<<"$out")" "--stats prints one line"
assert_eq stats "$(jq -r .type <<<"$out")" "type stats"
assert_eq "$ID" "$(jq -r .id <<<"$out")" "id"
assert_eq "$limit" "$(jq -r .data.memory.usage.limit <<<"$out")" "memory.usage.limit is the container's limit"
[ "$(jq -r .data.memory.usage.usage <<<"$out")" -gt 0 ] || fail "memory usage is 0: $out"
[ "$(jq -r .data.pids.current <<<"$out")" -ge 1 ] || fail "pids.current: $out"
[ "$(jq -r '.data.cpu.usage.total' <<<"$out")" -gt 0 ] || fail "cpu usage total: $out"
pass "usage figures are the container's"
# The container's own network namespace: its interfaces with runc's fields;
# a refused connection to 127.0.0.1 puts packets through lo.
rt exec "$ID" sh -c 'nc 127.0.0.1 9 </dev/null; true' >/dev/null 2>&1
out=$(rtc events --stats "$ID") || fail "events --stats: $out"
assert_eq '["name","rx_bytes","rx_dropped","rx_errors","rx_packets","tx_bytes","tx_dropped","tx_errors","tx_packets"]' \
    "$(jq -c '.data.network_interfaces[] | select(.name == "lo") | keys' <<<"$out")" "network_interfaces: lo with runc's fields"
[ "$(jq -r '.data.network_interfaces[] | select(.name == "lo") | .rx_packets' <<<"$out")" -ge 1 ] ||
    fail "lo counted no packets: $out"
pass "network interfaces of the container's namespace"
# Direct writes to the rootfs's disk are the container's block I/O.
if [ "$BLKIO" = 1 ]; then
    rt exec "$ID" dd if=/dev/zero of=/blkio-probe bs=64k count=16 oflag=direct </dev/null >/dev/null 2>&1 ||
        fail "direct write in the container"
    out=$(rtc events --stats "$ID") || fail "events --stats: $out"
    written=$(jq '[.data.blkio.ioServiceBytesRecursive[]? | select(.op == "Write") | .value] | add // 0' <<<"$out")
    [ "$written" -ge $((16 * 65536)) ] ||
        fail "blkio: ioServiceBytesRecursive counts $written bytes written, not the 1 MiB: $(jq -c .data.blkio <<<"$out")"
    pass "blkio: $written bytes written counted"
else
    log "the rootfs is not on a whole disk ($dev): block I/O figures not checked"
fi

rt events --interval 50x "$ID" >/dev/null 2>"$TEST_TMP/err" && fail "a bad --interval was accepted"
assert_contains "$(cat "$TEST_TMP/err")" "50x" "a bad --interval is named"
rt events --stats no-such-container >/dev/null 2>&1 && fail "events of a missing container succeeded"
pass "events of a missing container fails"

# The stream: usage every 200 ms, and an OOM kill of a process that exceeds the limit
rt events --interval 200ms "$ID" >"$TEST_TMP/events" 2>"$TEST_TMP/events.err" &
ev=$!
on_exit "kill $ev 2>/dev/null"
sleep 1
# dd's 64 MiB buffer does not fit in 48 MiB of memory+swap: the kernel kills it
rt exec "$ID" dd if=/dev/zero of=/dev/null bs=64M count=1 </dev/null >/dev/null 2>&1
for _ in $(seq 50); do grep -q '"type":"oom"' "$TEST_TMP/events" && break; sleep 0.1; done
grep -q "{\"type\":\"oom\",\"id\":\"$ID\"}" "$TEST_TMP/events" || fail "no oom event: $(tail -c 300 "$TEST_TMP/events"; cat "$TEST_TMP/events.err")"
pass "the OOM kill is reported"
n=$(grep -c '"type":"stats"' "$TEST_TMP/events")
[ "$n" -ge 3 ] || fail "only $n stats events in the stream"
pass "usage streamed at the interval ($n events)"
pid_alive "$(state_of "$ID" pid)" || fail "the container died with the exec'd process"

rt kill "$ID" KILL
for _ in $(seq 50); do kill -0 "$ev" 2>/dev/null || break; sleep 0.1; done
kill -0 "$ev" 2>/dev/null && fail "events still running after the container's init exited"
wait "$ev"
assert_eq 0 "$?" "events ends with status 0 when the container exits"
