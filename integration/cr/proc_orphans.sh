#!/bin/bash
# Process groups and sessions whose leader has exited, and a child moved into
# a sibling's group after fork, are restored with the same ids: the restore
# makes short-lived holders of the ids and reaps them, so the leaders are
# still gone and nothing is left to reap (procwork orphans checks it itself).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
require_root

B=$TEST_TMP/bundle
cr_bundle_bin "$B" "${CR_PROC_WORKLOAD:-}" orphans
new_id CR_ID
run_detached "$CR_ID" "$B"
wait_file "$B.shared/ready" 20
# "NSpid NSpgid NSsid" of $1 and every descendant, as seen from the host.
ids() {
    local c
    grep -E '^NS(pid|pgid|sid):' /proc/"$1"/status | awk '{printf "%s ", $NF}'
    echo
    for c in $(cat /proc/"$1"/task/*/children); do ids "$c"; done
}
pid=$(state_of "$CR_ID" pid)
before=$(ids "$pid" | sort)
cr_roundtrip "$CR_ID" "$B"
pass "checkpointed and restored"
pid=$(state_of "$CR_ID" pid)
after=$(ids "$pid" | sort)
[ "$before" = "$after" ] || fail "pid/pgid/sid inside the container differ: before [$before] after [$after]"
pass "every process has the same pid, group and session inside the container ($(wc -l <<<"$after") processes)"
cr_verify "$CR_ID" "$B.shared"
pass "orphaned session and group kept, their leaders still gone, nothing to reap, no SIGCHLD"
