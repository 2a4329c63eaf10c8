#!/bin/bash
# 20 checkpoint/restore cycles on one container: the counter keeps going up,
# memory use and the number of tasks do not drift.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
require_root

cr_run_counter
rss() { awk '/^VmRSS:/ {print $2}' "/proc/$(state_of "$ID" pid)/status"; }
vmas() { wc -l <"/proc/$(state_of "$ID" pid)/maps"; }
sleep 0.2
first_vmas=$(vmas)
first_rss=$(rss)
last=$(count)
for ((round = 1; round <= 20; round++)); do
    cr_roundtrip "$ID" "$B"
    for ((i = 0; i < 200; i++)); do [ "$(count)" -gt "$last" ] && break; sleep 0.05; done
    now=$(count)
    [ "$now" -gt "$last" ] || fail "round $round: counter stuck at $last"
    last=$now
    rm -rf "$TEST_TMP/img.$CR_ROUND"
done
assert_eq "$first_vmas" "$(vmas)" "mapping count after 20 cycles"
r=$(rss)
[ "$r" -le $((first_rss + 512)) ] || fail "RSS grew from $first_rss to $r kB over 20 cycles"
assert_eq 1 "$(rt ps "$ID" 2>/dev/null | tail -n +2 | wc -l)" "one process in the container"
pass "20 cycles, counter at $last, no drift"
