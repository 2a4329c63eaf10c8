#!/bin/bash
# A container with a seccomp profile but no no_new_privs and without
# CAP_SYS_ADMIN (podman's and Docker's default): the restored task gets its
# filter back although it could not install one itself after its credentials
# are restored, and the filter is still enforced.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
require_root

B=$TEST_TMP/bundle
cr_bundle "$B" counter
edit_config "$B" '.process.noNewPrivileges = false
  | .linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"],
      "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}'
new_id ID
run_detached "$ID" "$B"
wait_file "$B.shared/ready" 20
pid=$(state_of "$ID" pid)
assert_eq 0 "$(awk '/^NoNewPrivs:/ {print $2}' "/proc/$pid/status")" "no_new_privs is off before the checkpoint"
cr_roundtrip "$ID" "$B"
pid=$(state_of "$ID" pid)
assert_eq 1 "$(awk '/^Seccomp_filters:/ {print $2}' "/proc/$pid/status")" "the bundle's filter after restore"
assert_eq 0 "$(awk '/^NoNewPrivs:/ {print $2}' "/proc/$pid/status")" "no_new_privs still off after restore"
out=$(rtc exec "$ID" mkdir /dev/shm/denied 2>&1) && fail "mkdir allowed after restore"
assert_contains "$out" "Operation not permitted" "the filter still denies mkdir with errnoRet 1"
cr_verify "$ID" "$B.shared"
pass "seccomp profile without no_new_privs restored and enforced"
