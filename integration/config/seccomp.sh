#!/bin/bash
# seccomp through config.json: an errno rule with errnoRet, an argument filter,
# the default action, and the filter mode shown in /proc/self/status.
source "$(dirname "$0")/../lib.sh"

B=$TEST_TMP/bundle
make_bundle "$B" sh -c '
  grep "^Seccomp:" /proc/self/status
  mkdir /tmp/d 2>&1 || true
  touch /tmp/f; chmod 755 /tmp/f && echo chmod-755-ok
  chmod 777 /tmp/f 2>&1 || true
  echo done'
# mkdir denied with ENOSPC (28) so the errno comes from errnoRet, not a default;
# chmod to mode 0777 (511) denied with EACCES by an argument filter, other modes allowed.
edit_config "$B" '.linux.seccomp = {
  "defaultAction": "SCMP_ACT_ALLOW",
  "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
  "syscalls": [
    {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 28},
    {"names": ["chmod"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13,
     "args": [{"index": 1, "value": 511, "op": "SCMP_CMP_EQ"}]},
    {"names": ["fchmodat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13,
     "args": [{"index": 2, "value": 511, "op": "SCMP_CMP_EQ"}]}
  ]}'
out=$(run_fg "$B") || fail "run: $out $(cat "$TEST_TMP"/*.err)"
assert_match "$(echo "$out" | sed -n 1p)" '^Seccomp:[[:space:]]+2$' "filter mode active"
assert_contains "$(echo "$out" | sed -n 2p)" "No space left on device" "mkdir fails with errnoRet ENOSPC"
assert_eq chmod-755-ok "$(echo "$out" | sed -n 3p)" "argument filter lets mode 0755 through"
assert_contains "$(echo "$out" | sed -n 4p)" "Permission denied" "argument filter denies mode 0777 with EACCES"
assert_eq done "$(echo "$out" | tail -1)" "process ran to the end"

# SCMP_ACT_KILL: the process dies at the call. (sethostname, because a runtime's
# own code may still make common calls like getpid after loading the filter.)
edit_config "$B" '.linux.seccomp.syscalls += [{"names": ["sethostname"], "action": "SCMP_ACT_KILL"}]'
set_args "$B" sh -c 'echo before; exec hostname renamed'
out=$(run_fg "$B")
rc=$?
assert_eq before "$out" "SCMP_ACT_KILL on sethostname: output stops at the kill"
[ "$rc" -ne 0 ] || fail "process killed by seccomp exited 0"
pass "SCMP_ACT_KILL gives a non-zero exit ($rc)"

# an unknown syscall action is a clear error
edit_config "$B" '.linux.seccomp.syscalls = [{"names": ["mkdir"], "action": "SCMP_ACT_BOGUS"}]'
new_id ID
out=$(rtc run --bundle "$B" "$ID" </dev/null 2>&1) && fail "unknown seccomp action accepted"
assert_contains "$out" "SCMP_ACT_BOGUS" "unknown seccomp action named in the error"
