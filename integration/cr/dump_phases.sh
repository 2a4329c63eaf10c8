#!/bin/bash
# Where a checkpoint's time goes (issue 18): dump.log names every phase in one
# line and stats-dump carries CRIU's split of it, with the page counts of the
# memory really dumped. A 32 MiB "memory" workload is checkpointed, the figures
# are checked against what it holds, and the restored workload verifies every
# page (so the counts speak of the bytes that made it).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
require_root
require_cmd crit

B=$TEST_TMP/bundle
cr_bundle "$B" memory 32
new_id CR_ID
run_detached "$CR_ID" "$B"
wait_file "$B.shared/ready" 20
cr_roundtrip "$CR_ID" "$B"
cr_verify "$CR_ID" "$B.shared"
pass "32 MiB checkpointed and restored, contents verified"

log=$TEST_TMP/img.1.work/dump.log
line=$(grep -o 'phases: .*' "$log") || fail "no phases line in dump.log: $(cat "$log")"
for phase in prepare freeze seize state cow memory pagemap read hand-off wait finish frozen; do
    [[ "$line" =~ (^|[ \(])$phase\ [0-9.]+\ ms ]] || fail "phase '$phase' missing from: $line"
done
pages=$(sed -n 's/.* \([0-9]*\) pages), finish.*/\1/p' <<<"$line")
calls=$(sed -n 's/.*read [0-9.]* ms in \([0-9]*\) calls.*/\1/p' <<<"$line")
# 32 MiB is 8192 pages; the binary, stack and libc add a few.
[ "${pages:-0}" -ge 8192 ] && [ "$pages" -lt 9000 ] || fail "memory pages in the phase line: '$pages' (32 MiB is 8192): $line"
[ "${calls:-0}" -ge 1 ] || fail "no process_vm_readv call counted: $line"
grep -q "phase release (killed and removed) [0-9.]* ms" "$log" || fail "no release phase in dump.log"
pass "dump.log: every phase timed, $pages pages read in $calls calls"

stats=$(crit decode -i "$TEST_TMP/img.1.work/stats-dump") || fail "crit cannot decode stats-dump"
field() { grep -o "\"$1\": *[0-9]*" <<<"$stats" | grep -o '[0-9]*$'; }
[ "$(field pages_written)" = "$pages" ] || fail "stats-dump pages_written $(field pages_written), dump.log $pages"
for f in freezing_time frozen_time memdump_time memwrite_time; do
    [ -n "$(field $f)" ] || fail "stats-dump has no $f: $stats"
done
[ "$(field memdump_time)" -gt 0 ] && [ "$(field memwrite_time)" -gt 0 ] || fail "memdump/memwrite times are zero: $stats"
[ "$(field frozen_time)" -ge "$(field memdump_time)" ] || fail "frozen time shorter than the memory dump: $stats"
pass "stats-dump: memdump $(field memdump_time) us, memwrite $(field memwrite_time) us, frozen $(field frozen_time) us"
