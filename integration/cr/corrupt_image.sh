#!/bin/bash
# A corrupt or truncated image is refused (a truncation or a damaged record
# before anything is created, a damaged page before any task runs), and a
# restore that fails leaves nothing: no container, no process, no cgroup.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
require_root

B=$TEST_TMP/bundle
cr_bundle "$B" memory 4
new_id ID
run_detached "$ID" "$B"
wait_file "$B.shared/ready" 20
cgdir=$(cgroup_dir "$(state_of "$ID" pid)" pids)
rootfs_id=$(stat -L -c %d:%i "/proc/$(state_of "$ID" pid)/root")
cr_checkpoint "$ID" "$TEST_TMP/img" || fail "checkpoint: $(cat "$TEST_TMP/ckpt.err")"
cr_gone "$ID"
[ -d "$cgdir" ] && fail "cgroup $cgdir remains after the checkpoint"

nothing_left() {
    [ -z "$(rt list -q 2>/dev/null | grep -x "$ID")" ] || fail "$1: container $ID listed"
    [ -d "$cgdir" ] && fail "$1: cgroup $cgdir left behind"
    # Only this test's processes: other containers may run crwork too.
    local p left=""
    for p in /proc/[0-9]*; do
        [ "$(stat -L -c %d:%i "$p/root" 2>/dev/null)" = "$rootfs_id" ] && left="$left ${p#/proc/}"
    done
    [ -z "$left" ] || fail "$1: processes left in the container's root file system:$left"
    return 0
}
size=$(stat -c %s "$TEST_TMP/img/myrt.img")
mkdir -p "$TEST_TMP/bad"
# one flipped byte in the middle of the page data
cp "$TEST_TMP/img/myrt.img" "$TEST_TMP/bad/myrt.img"
printf '\xff' | dd of="$TEST_TMP/bad/myrt.img" bs=1 seek=$((size / 2)) conv=notrunc status=none
cr_restore "$ID" "$B" "$TEST_TMP/bad" && fail "restore of a corrupted image succeeded"
log "refused: $(cat "$TEST_TMP/restore.err")"
assert_contains "$(cat "$TEST_TMP/restore.err")" "checksum mismatch in page contents" "error names the page checksum"
nothing_left "flipped byte"
# one flipped byte in the first BUFFER (the namespaces section): refused by the
# first pass, before the container is created
buffer_at=$(rt image inspect "$TEST_TMP/img/myrt.img" | jq '[.records[] | select(.type == "BUFFER")][0].offset')
[ -n "$buffer_at" ] && [ "$buffer_at" != null ] || fail "no BUFFER record found by image inspect"
cp "$TEST_TMP/img/myrt.img" "$TEST_TMP/bad/myrt.img"
printf '\xa5' | dd of="$TEST_TMP/bad/myrt.img" bs=1 seek=$((buffer_at + 24 + 5)) conv=notrunc status=none
rm -rf "$TEST_TMP/bad.rwork"
cr_restore "$ID" "$B" "$TEST_TMP/bad" && fail "restore of an image with a damaged record succeeded"
log "refused: $(cat "$TEST_TMP/restore.err")"
grep -q "container created" "$TEST_TMP/bad.rwork/restore.log" 2>/dev/null && fail "a damaged record was found only after the container was created"
nothing_left "flipped record byte"
# truncated
head -c $((size - 100)) "$TEST_TMP/img/myrt.img" >"$TEST_TMP/bad/myrt.img"
cr_restore "$ID" "$B" "$TEST_TMP/bad" && fail "restore of a truncated image succeeded"
assert_contains "$(cat "$TEST_TMP/restore.err")" truncated "error says truncated"
nothing_left "truncated"
# no image at all
rm -f "$TEST_TMP/bad/myrt.img"
cr_restore "$ID" "$B" "$TEST_TMP/bad" && fail "restore without an image succeeded"
nothing_left "missing image"
# a FIFO where the image should be: refused at once, not waited on
mkfifo "$TEST_TMP/bad/myrt.img"
start=$(date +%s)
cr_restore "$ID" "$B" "$TEST_TMP/bad" && fail "restore from a FIFO succeeded"
[ $(($(date +%s) - start)) -lt 15 ] || fail "restore from a FIFO blocked"
assert_contains "$(cat "$TEST_TMP/restore.err")" "not a regular file" "FIFO refused by name"
rm -f "$TEST_TMP/bad/myrt.img"
nothing_left "FIFO image"
# a bundle that does not match: no network namespace
jq '.linux.namespaces |= map(select(.type != "network"))' "$B/config.json" >"$TEST_TMP/c.json" && cp "$B/config.json" "$TEST_TMP/orig.json" && cp "$TEST_TMP/c.json" "$B/config.json"
cr_restore "$ID" "$B" "$TEST_TMP/img" && fail "restore into a bundle without the image's network namespace succeeded"
assert_contains "$(cat "$TEST_TMP/restore.err")" "does not match" "mismatch named"
nothing_left "mismatched bundle"
cp "$TEST_TMP/orig.json" "$B/config.json"
# capabilities beyond the bundle's bounding set
jq '.process.capabilities.bounding = ["CAP_KILL"]' "$TEST_TMP/orig.json" >"$B/config.json"
cr_restore "$ID" "$B" "$TEST_TMP/img" && fail "restore with capabilities beyond the bundle's succeeded"
assert_contains "$(cat "$TEST_TMP/restore.err")" "bounding set" "capability refusal named"
nothing_left "capabilities"
cp "$TEST_TMP/orig.json" "$B/config.json"
pass "corrupt, truncated, missing and mismatched images refused, nothing left behind"
# and the intact image still restores
cr_restore "$ID" "$B" "$TEST_TMP/img" || fail "restore of the intact image: $(cat "$TEST_TMP/restore.err")"
cr_verify "$ID" "$B.shared"
pass "intact image restores"
