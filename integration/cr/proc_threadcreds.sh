#!/bin/bash
# Threads whose credentials differ from their siblings' (procwork threadcreds:
# one thread at uid 1000/gid 1001 with group 4242, one with fsuid 1234 and
# CAP_NET_BIND_SERVICE dropped from its effective set; the leader root): the
# restore gives each thread its own, seen from outside per tid in
# /proc/PID/task/TID/status and inside by each thread. The bundle grants
# CAP_SETUID and CAP_SETGID (what the threads needed to change them).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
require_root

B=$TEST_TMP/bundle
cr_bundle_bin "$B" "${CR_PROC_WORKLOAD:-}" threadcreds
edit_config "$B" '.process.capabilities |= with_entries(if .key == "ambient" or .key == "inheritable" then . else .value += ["CAP_SETUID", "CAP_SETGID"] end)'
# "Uid Gid Groups Cap*" of every thread, in tid order (the host's tids
# change with the restore's pid namespace; the container's stay).
thread_creds() {
    local t
    for t in /proc/$1/task/*; do
        echo "$(grep -E '^(Uid|Gid|Groups|CapEff|CapPrm|CapInh|CapAmb):' "$t/status" | tr -s '\t\n' '  ')"
    done
}
new_id CR_ID
run_detached "$CR_ID" "$B"
wait_file "$B.shared/ready" 20
before=$(thread_creds "$(state_of "$CR_ID" pid)")
[ "$(sort -u <<<"$before" | wc -l)" -ge 3 ] || fail "the threads do not have three different credentials: $before"
cr_roundtrip "$CR_ID" "$B"
pass "checkpointed and restored"
after=$(thread_creds "$(state_of "$CR_ID" pid)")
[ "$before" = "$after" ] || fail "thread credentials differ: before [$before] after [$after]"
pass "each of $(wc -l <<<"$after") threads has its own credentials after restore"
cr_verify "$CR_ID" "$B.shared"
pass "inside: every thread's Uid/Gid/Groups/Cap lines are what they were"
