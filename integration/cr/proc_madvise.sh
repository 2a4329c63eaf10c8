#!/bin/bash
# madvise state per range (DONTFORK, WIPEONFORK, HUGEPAGE, NOHUGEPAGE,
# DONTDUMP), an mlocked range and a MAP_GROWSDOWN mapping: the same ranges
# with the same VmFlags after restore, seen from outside; and from inside
# (procwork madvise) the contents, VmLck and what a fork after restore inherits.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
require_root

B=$TEST_TMP/bundle
cr_bundle_bin "$B" "${CR_PROC_WORKLOAD:-}" madvise
new_id CR_ID
run_detached "$CR_ID" "$B"
wait_file "$B.shared/ready" 20
# "range perms flags" of every anonymous VMA with one of the flags of interest.
advised() {
    awk '/^[0-9a-f]+-[0-9a-f]+ / { range = $1; perms = $2; path = $6 }
         /^VmFlags:/ { f = ""; for (i = 2; i <= NF; i++) if ($i ~ /^(dc|wf|hg|nh|dd|lo|gd)$/) f = f " " $i
                       if (f != "" && path == "") print range, perms, f }' "/proc/$1/smaps"
}
before=$(advised "$(state_of "$CR_ID" pid)")
for flag in dc wf hg nh dd lo gd; do
    grep -qw "$flag" <<<"$before" || fail "no VMA with VmFlag $flag before the checkpoint: $before"
done
cr_roundtrip "$CR_ID" "$B"
pass "checkpointed and restored"
after=$(advised "$(state_of "$CR_ID" pid)")
[ "$before" = "$after" ] || fail "advised ranges differ: before [$before] after [$after]"
pass "$(wc -l <<<"$after") advised ranges with the same VmFlags (dc wf hg nh dd lo gd) after restore"
cr_verify "$CR_ID" "$B.shared"
pass "contents, VmLck, and a fork after restore honours DONTFORK and WIPEONFORK"
