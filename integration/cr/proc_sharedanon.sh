#!/bin/bash
# A MAP_SHARED|MAP_ANONYMOUS region that a parent shares with its forked
# child (whose mapping starts one page into it) stays one region after
# restore: the mappings of both are the same shmem inode again, seen from
# outside, and a write by one is read by the other (procwork sharedanon).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
require_root

B=$TEST_TMP/bundle
cr_bundle_bin "$B" "${CR_PROC_WORKLOAD:-}" sharedanon
new_id CR_ID
run_detached "$CR_ID" "$B"
wait_file "$B.shared/ready" 20
# "inode offset size" of the /dev/zero mapping of $1.
shared_map() {
    local range perms off dev ino path
    while read -r range perms off dev ino path; do
        [[ $path == /dev/zero* ]] || continue
        echo "$ino $off $((0x${range#*-} - 0x${range%-*}))"
    done <"/proc/$1/maps"
}
check_shared() {
    local parent child p c
    parent=$(state_of "$CR_ID" pid)
    child=$(cat /proc/"$parent"/task/*/children | awk '{print $1}')
    p=$(shared_map "$parent")
    c=$(shared_map "$child")
    [ -n "$p" ] && [ -n "$c" ] || fail "no shared anonymous mapping in the parent ($p) or the child ($c)"
    [ "${p%% *}" = "${c%% *}" ] || fail "parent and child map different objects: parent $p, child $c"
    echo "parent $p, child $c"
}
before=$(check_shared) || exit 1
cr_roundtrip "$CR_ID" "$B"
pass "checkpointed and restored"
after=$(check_shared) || exit 1
[ "${before#* }" != "$before" ] || fail "bad mapping description $before"
pass "one shmem object again: before [$before], after [$after]"
cr_verify "$CR_ID" "$B.shared"
pass "a write by either process is read by the other after restore"
