#!/bin/bash
# Parent chains that must be refused by name: a path that leaves the image's
# directory, a missing parent, a parent that is not the last pre-dump, a
# pre-dump of another container, a loop; the container keeps running and a
# failed restore leaves nothing behind.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
require_root

W=${CR_PREDUMP_WORKLOAD:?}
B=$TEST_TMP/bundle
cr_bundle_bin "$B" "$W" memory 8
new_id ID
run_detached "$ID" "$B"
wait_file "$B.shared/ready" 20
D=$TEST_TMP/images
mkdir -p "$D"
predump() {  # DIR [PARENT]
    rt checkpoint --pre-dump --image-path "$D/$1" ${2:+--parent-path "$2"} --work-path "$D/$1.work" "$ID" </dev/null \
        2>"$TEST_TMP/pd.err" || fail "pre-dump $1: $(cat "$TEST_TMP/pd.err")"
}
refused() {  # WHAT EXPECTED ARGS...
    local what=$1 want=$2
    shift 2
    rt checkpoint "$@" "$ID" </dev/null >/dev/null 2>"$TEST_TMP/r.err" && fail "$what was accepted"
    assert_contains "$(cat "$TEST_TMP/r.err")" "$want" "$what"
    assert_eq running "$(state_of "$ID" status)" "status after $what"
    pass "$what refused: $(tail -1 "$TEST_TMP/r.err")"
}
predump p1
predump p2 ../p1
for bad in ../../etc /etc ../p1/.. p1 ../a/b '../p 1'; do
    refused "parent path $bad" "is refused" --image-path "$D/f" --work-path "$D/f.work" --parent-path "$bad"
done
refused "a missing parent" "parent image ../nope" --image-path "$D/f" --work-path "$D/f.work" --parent-path ../nope
ln -s p2 "$D/link"
refused "a parent through a symlink" "parent image ../link" --image-path "$D/f" --work-path "$D/f.work" --parent-path ../link
refused "a parent that is not the last pre-dump" "are tracked since image" --image-path "$D/f" \
    --work-path "$D/f.work" --parent-path ../p1
refused "a pre-dump as the next pre-dump's parent when it is not the last" "are tracked since image" --pre-dump --image-path "$D/f" \
    --work-path "$D/f.work" --parent-path ../p1

# The final checkpoint, then chains broken under the restore.
rt checkpoint --image-path "$D/final" --parent-path ../p2 --work-path "$D/final.work" "$ID" </dev/null \
    2>"$TEST_TMP/final.err" || fail "final checkpoint: $(cat "$TEST_TMP/final.err")"
restore_refused() {  # WHAT EXPECTED
    cr_restore "$ID" "$B" "$D/final" && fail "restore with $1 succeeded"
    assert_contains "$(cat "$TEST_TMP/restore.err")" "$2" "restore with $1"
    rt state "$ID" >/dev/null 2>&1 && fail "a container remains after the restore with $1 failed"
    pass "restore with $1 refused: $(tail -1 "$TEST_TMP/restore.err")"
}
mv "$D/p1" "$D/p1.saved"
restore_refused "a missing grandparent" "parent image ../p1 of ../p2"
# another container's pre-dump in its place
new_id OTHER
B2=$TEST_TMP/bundle2
cr_bundle_bin "$B2" "$W" memory 1
run_detached "$OTHER" "$B2"
wait_file "$B2.shared/ready" 20
rt checkpoint --pre-dump --image-path "$D/p1" --work-path "$D/p1o.work" "$OTHER" </dev/null 2>"$TEST_TMP/o.err" ||
    fail "pre-dump of $OTHER: $(cat "$TEST_TMP/o.err")"
restore_refused "another container's pre-dump as grandparent" "is a pre-dump of container"
rm -rf "$D/p1"
# the same directory twice (a bind mount of p2 over p1)
mkdir "$D/p1"
mount --bind "$D/p2" "$D/p1" || fail "bind mount"
trap 'umount "$D/p1" 2>/dev/null' EXIT
restore_refused "a loop in the chain" "loops"
umount "$D/p1"
rmdir "$D/p1"
mv "$D/p1.saved" "$D/p1"
# a pre-dump is not restorable on its own
cr_restore "$ID" "$B" "$D/p2" && fail "restore of a pre-dump succeeded"
assert_contains "$(cat "$TEST_TMP/restore.err")" "is a pre-dump" "restore of a pre-dump"
pass "a pre-dump alone is refused"
cr_restore "$ID" "$B" "$D/final" || fail "restore once the chain is whole again: $(cat "$TEST_TMP/restore.err")"
cr_verify "$ID" "$B.shared"
pass "the whole chain restores"
