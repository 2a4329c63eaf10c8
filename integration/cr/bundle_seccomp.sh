#!/bin/bash
# A bundle with its own seccomp profile: the restored process carries the
# bundle's filter and its own (both enforced); an image restored into a
# bundle whose profile differs is refused (the image cannot swap the
# container's filter for another), leaving nothing behind.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
require_root

B=$TEST_TMP/bundle
cr_bundle "$B" seccomp
edit_config "$B" '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"],
    "syscalls": [{"names": ["acct"], "action": "SCMP_ACT_ERRNO"}]}'
new_id ID
run_detached "$ID" "$B"
wait_file "$B.shared/ready" 20
cr_roundtrip "$ID" "$B"
pid=$(state_of "$ID" pid)
assert_eq 2 "$(awk '/^Seccomp_filters:/ {print $2}' "/proc/$pid/status")" "filters after restore (bundle's and workload's)"
cr_verify "$ID" "$B.shared"
pass "bundle filter and workload filter restored"

cr_checkpoint "$ID" "$TEST_TMP/img2" || fail "checkpoint: $(cat "$TEST_TMP/ckpt.err")"
cr_gone "$ID"
edit_config "$B" '.linux.seccomp.syscalls[0].names = ["acct", "swapon"]'
cr_restore "$ID" "$B" "$TEST_TMP/img2" && fail "restore into a bundle with another seccomp profile succeeded"
assert_contains "$(cat "$TEST_TMP/restore.err")" "seccomp filter" "refusal names the seccomp filter"
[ -z "$(rt list -q | grep -x "$ID")" ] || fail "refused restore left container $ID"
pass "image refused by a bundle with a different seccomp profile"
