#!/bin/bash
# Unreaped zombies come back as zombies: the same pids, exit statuses (an
# exit code, a SIGTERM death) and group (one zombie leads a group a live
# process is in); the init's pending SIGCHLD is kept, and a worker that had
# taken its SIGCHLD gets no second one (procwork zombies checks it itself).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
require_root

B=$TEST_TMP/bundle
cr_bundle_bin "$B" "${CR_PROC_WORKLOAD:-}" zombies
new_id CR_ID
run_detached "$CR_ID" "$B"
wait_file "$B.shared/ready" 20
pid=$(state_of "$CR_ID" pid)
# "NSpid wait-status" of each zombie child of $1, as seen from the host.
list_zombies() {
    local c
    for c in $(cat /proc/"$1"/task/*/children); do
        [ "$(awk '{print $3}' /proc/"$c"/stat 2>/dev/null)" = Z ] || continue
        echo "$(awk '/^NSpid:/ {print $NF}' /proc/"$c"/status) $(awk '{print $52}' /proc/"$c"/stat)"
    done | sort
}
before=$(list_zombies "$pid")
[ "$(wc -l <<<"$before")" -ge 3 ] || fail "the init has fewer than 3 zombies: $before"
cr_roundtrip "$CR_ID" "$B"
pass "checkpointed and restored with unreaped zombies"
pid=$(state_of "$CR_ID" pid)
after=$(list_zombies "$pid")
[ "$before" = "$after" ] || fail "the init's zombies (pid in the container, wait status) differ: before $before, after $after"
pass "the init's zombies have the same pids and wait statuses from outside"
cr_verify "$CR_ID" "$B.shared"
pass "waitpid got the same statuses, SIGCHLD kept pending, no second SIGCHLD"
