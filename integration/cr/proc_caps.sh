#!/bin/bash
# Inheritable and ambient capabilities after capset: the init copies its
# permitted set into its inheritable set, raises them all as ambient and drops
# CAP_KILL from its effective set (procwork caps). The restore keeps all four
# sets (seen from outside in /proc/PID/status, and inside through capget and
# PR_CAP_AMBIENT_IS_SET).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
require_root

B=$TEST_TMP/bundle
cr_bundle_bin "$B" "${CR_PROC_WORKLOAD:-}" caps
caps() { grep -E '^Cap(Inh|Prm|Eff|Amb):' "/proc/$1/status"; }
new_id CR_ID
run_detached "$CR_ID" "$B"
wait_file "$B.shared/ready" 20
before=$(caps "$(state_of "$CR_ID" pid)")
grep -q '^CapAmb:[[:space:]]*0*[1-9a-f]' <<<"$before" || fail "no ambient capability before the checkpoint: $before"
cr_roundtrip "$CR_ID" "$B"
pass "checkpointed and restored"
after=$(caps "$(state_of "$CR_ID" pid)")
[ "$before" = "$after" ] || fail "capabilities differ: before [$before] after [$after]"
pass "the same inheritable, permitted, effective and ambient sets: $(tr '\n' ' ' <<<"$after")"
cr_verify "$CR_ID" "$B.shared"
pass "inside: the same sets, ambient capabilities set, CAP_KILL still not effective"
