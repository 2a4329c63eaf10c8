#!/bin/bash
# Private anonymous pages that a 64 MiB parent still shares copy-on-write
# with its 3 forked children are restored shared, not copied: the container's
# PSS after restore is within 10% of before (procwork cow checks inside that
# each process reads its own contents and that writes stay private).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
require_root

B=$TEST_TMP/bundle
cr_bundle_bin "$B" "${CR_PROC_WORKLOAD:-}" cow
new_id CR_ID
run_detached "$CR_ID" "$B"
wait_file "$B.shared/ready" 30
# PSS in kB of the init and every descendant; the process count on stderr.
container_pss() {
    local todo=("$(state_of "$CR_ID" pid)") total=0 n=0 p kb
    while [ ${#todo[@]} -gt 0 ]; do
        p=${todo[0]}
        todo=("${todo[@]:1}")
        kb=$(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup") || fail "no smaps_rollup for $p"
        total=$((total + kb))
        n=$((n + 1))
        todo+=($(cat /proc/"$p"/task/*/children))
    done
    echo "$n processes" >&2
    echo "$total"
}
before=$(container_pss 2>"$TEST_TMP/n.before") || exit 1
assert_eq "4 processes" "$(cat "$TEST_TMP/n.before")" "processes before the checkpoint"
cr_roundtrip "$CR_ID" "$B"
pass "checkpointed and restored"
grep -h "shared copy-on-write" "$TEST_TMP"/img.*.work/dump.log || fail "the checkpoint found no pages shared with a parent"
after=$(container_pss 2>"$TEST_TMP/n.after") || exit 1
assert_eq "4 processes" "$(cat "$TEST_TMP/n.after")" "processes after the restore"
echo "container PSS: before $((before / 1024)) MB, after $((after / 1024)) MB"
[ "$after" -le $((before * 11 / 10)) ] || fail "PSS grew from $before kB to $after kB (more than 10%)"
pass "PSS within 10%: $before kB before, $after kB after"
cr_verify "$CR_ID" "$B.shared"
pass "every process reads its own memory and writes stay private after restore"
