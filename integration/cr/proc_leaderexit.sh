#!/bin/bash
# A thread-group leader that called pthread_exit while two threads run
# (procwork leaderexit; CRIU refuses it): after restore the leader is a zombie
# again with the same threads (seen from outside: its state and the tids), and
# inside one thread joins the other and both kept their thread-local values.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
require_root

B=$TEST_TMP/bundle
cr_bundle_bin "$B" "${CR_PROC_WORKLOAD:-}" leaderexit
# Every thread's tid inside the container (the host's change with the
# restore's pid namespace), with the leader's state (the others run or sleep).
threads() {
    local t
    for t in /proc/$1/task/*; do
        local inner
        inner=$(awk '/^NSpid:/ {print $NF}' "$t/status")
        if [ "${t##*/}" = "$1" ]; then echo "$inner $(awk '{print $3}' "$t/stat")"; else echo "$inner"; fi
    done | sort -n
}
new_id CR_ID
run_detached "$CR_ID" "$B"
wait_file "$B.shared/ready" 20
pid=$(state_of "$CR_ID" pid)
[ -n "$pid" ] && [ "$pid" != null ] || fail "no pid in state: $(rt state "$CR_ID" 2>&1)"
before=$(threads "$pid")
grep -q "^1 Z" <<<"$before" || fail "the leader is not a zombie before the checkpoint: $before"
cr_roundtrip "$CR_ID" "$B"
pass "checkpointed and restored"
after=$(threads "$(state_of "$CR_ID" pid)")
[ "$before" = "$after" ] || fail "threads differ: before [$before] after [$after]"
pass "the leader is a zombie again, with the same threads: $(tr '\n' ',' <<<"$after")"
cr_verify "$CR_ID" "$B.shared"
pass "inside: pthread_join of a restored thread returns its value, thread-local values kept"
