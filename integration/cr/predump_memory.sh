#!/bin/bash
# Pre-copy: `checkpoint --pre-dump` twice while the workload keeps writing,
# then the final checkpoint with --parent-path; the restore reads the pages
# through the chain and the workload checks every page it wrote, the pages it
# zapped (zero), the regions it mapped and unmapped in between, and a ticker
# a thread wrote every millisecond throughout (workloads/predumpwork.c).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
require_root

W=${CR_PREDUMP_WORKLOAD:?}
B=$TEST_TMP/bundle
cr_bundle_bin "$B" "$W" memory 64
new_id ID
run_detached "$ID" "$B"
wait_file "$B.shared/ready" 20
pid=$(state_of "$ID" pid)
D=$TEST_TMP/images
mkdir -p "$D"

rt checkpoint --pre-dump --image-path "$D/p1" --work-path "$D/p1.work" "$ID" </dev/null 2>"$TEST_TMP/p1.err" ||
    fail "pre-dump: $(cat "$TEST_TMP/p1.err")"
assert_eq running "$(state_of "$ID" status)" "status after the pre-dump"
cr_untraced "$pid"
[ -s "$STATE/$ID/dirty-tracking.json" ] || fail "no dirty tracking recorded after the pre-dump"
holder=$(jq -r .holder_pid "$STATE/$ID/dirty-tracking.json")
[ "$(cat "/proc/$holder/comm")" = myrt-dirty ] || fail "the dirty-tracking holder $holder is not running"
for f in /proc/"$pid"/task/*/../fd/*; do
    [ "$(readlink "$f")" = "anon_inode:[userfaultfd]" ] && fail "the container's init holds a userfaultfd ($f)"
done
grep -q '^VmFlags:.* uw' "/proc/$pid/smaps" || fail "no VMA of the init is registered for write tracking"
assert_contains "$(cat "$D/p1.work/dump.log")" "tasks stopped for" "pre-dump log"
pass "pre-dump: the container runs on, its VMAs are tracked, its fd table is untouched"

rt kill "$ID" USR2 && wait_file "$B.shared/step1" 20
rt checkpoint --pre-dump --image-path "$D/p2" --parent-path ../p1 --work-path "$D/p2.work" "$ID" </dev/null \
    2>"$TEST_TMP/p2.err" || fail "second pre-dump: $(cat "$TEST_TMP/p2.err")"
assert_contains "$(cat "$D/p2.work/dump.log")" "parent ../p1" "second pre-dump log"
rt kill "$ID" USR2 && wait_file "$B.shared/step2" 20
rt checkpoint --image-path "$D/final" --parent-path ../p2 --work-path "$D/final.work" "$ID" </dev/null \
    2>"$TEST_TMP/final.err" || fail "final checkpoint: $(cat "$TEST_TMP/final.err")"
cr_gone "$ID"
# Gone, or a zombie its new parent has not reaped yet (it was orphaned when the first pre-dump exited).
holder_alive() { [ -e "/proc/$holder/stat" ] && [ "$(sed 's/.*) //' "/proc/$holder/stat" | cut -d' ' -f1)" != Z ]; }
for i in $(seq 40); do holder_alive || break; sleep 0.05; done
holder_alive && fail "the holder outlived the container"
p1=$(stat -c %s "$D/p1/myrt.img") p2=$(stat -c %s "$D/p2/myrt.img") final=$(stat -c %s "$D/final/myrt.img")
echo "image sizes: p1 (full memory) $p1, p2 $p2, final $final bytes" >&2
[ "$final" -lt $((p1 / 3)) ] || fail "the final image ($final bytes) is not much smaller than a full dump ($p1)"
[ "$p2" -lt $((p1 / 2)) ] || fail "the second pre-dump ($p2 bytes) is not much smaller than the first ($p1)"
pass "final image $final bytes, second pre-dump $p2, first (full) $p1"

out=$(rtc image inspect --summary "$D/final") || fail "image inspect: $out"
assert_eq 3 "$(jq '.chain | length' <<<"$out")" "images in the chain"
assert_eq ../p1 "$(jq -r '.chain[2].image' <<<"$out")" "last image of the chain"
[ "$(jq '.chain[0].parent_pages' <<<"$out")" -gt 10000 ] || fail "the final image takes few pages from its parents: $out"
pass "image inspect shows the chain: $(jq -c '[.chain[] | {image, pages, parent_pages}]' <<<"$out")"

cr_restore "$ID" "$B" "$D/final" || fail "restore: $(cat "$TEST_TMP/restore.err")"
assert_contains "$(cat "$D/final.rwork/restore.log")" "parent chain: ../p2" "restore log"
cr_verify "$ID" "$B.shared"
pass "every page, the zapped and remapped regions and the ticker are as the workload left them"
