#!/bin/bash
# Scheduling policy and nice per thread, oom_score_adj and THP disable come
# back as they were, seen from outside; a child subreaper whose own seccomp
# filter fakes PR_GET_CHILD_SUBREAPER is still a subreaper after restore,
# because the checkpoint's injected prctl did not pass that filter
# (PTRACE_O_SUSPEND_SECCOMP). procwork tuning checks it from inside too.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
require_root

B=$TEST_TMP/bundle
cr_bundle_bin "$B" "${CR_PROC_WORKLOAD:-}" tuning
new_id CR_ID
run_detached "$CR_ID" "$B"
wait_file "$B.shared/ready" 20
# "nice policy" per thread (in tid order inside the container), oom_score_adj, THP.
tuning() {
    local t
    for t in /proc/"$1"/task/*; do
        echo "$(awk '/^NSpid:/ {print $NF}' "$t/status") $(awk '{print $19, $41}' "$t/stat")"
    done | sort -n
    echo "oom_score_adj $(cat /proc/"$1"/oom_score_adj) $(grep THP_enabled /proc/"$1"/status)"
}
before=$(tuning "$(state_of "$CR_ID" pid)")
assert_contains "$before" "oom_score_adj 500" "the workload raised its oom_score_adj"
cr_roundtrip "$CR_ID" "$B"
pass "checkpointed and restored"
after=$(tuning "$(state_of "$CR_ID" pid)")
[ "$before" = "$after" ] || fail "scheduling, oom_score_adj or THP differ: before [$before] after [$after]"
pass "same nice and policy per thread, oom_score_adj and THP setting: $(echo $after)"
cr_verify "$CR_ID" "$B.shared"
pass "the subreaper under a prctl-faking filter is still one, and its filter still fakes it"
