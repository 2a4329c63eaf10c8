#!/bin/bash
# The five capability sets from config.json, read back from /proc/self/status.
source "$(dirname "$0")/../lib.sh"

B=$TEST_TMP/bundle
make_bundle "$B" grep '^Cap' /proc/self/status
# CAP_CHOWN=0, CAP_KILL=5, CAP_NET_BIND_SERVICE=10 -> 0x421
edit_config "$B" '.process.capabilities = {
    "bounding":    ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
    "effective":   ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
    "permitted":   ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
    "inheritable": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
    "ambient":     ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"]}'
out=$(run_fg "$B") || fail "run: $out"
cap() { echo "$out" | awk -v k="$1:" '$1 == k {print $2}'; }
for set in CapInh CapPrm CapEff CapBnd CapAmb; do
    assert_eq 0000000000000421 "$(cap $set)" "root: $set"
done

# Distinct sets for a non-root user: only ambient caps survive execve as uid 1000.
# CAP_SETUID=7 -> 0x80, CAP_KILL -> 0x20, CAP_CHOWN -> 0x1
edit_config "$B" '.process.user = {"uid": 1000, "gid": 1000}
  | .process.capabilities = {
    "bounding":    ["CAP_CHOWN", "CAP_KILL", "CAP_SETUID"],
    "effective":   ["CAP_KILL", "CAP_SETUID"],
    "permitted":   ["CAP_KILL", "CAP_SETUID"],
    "inheritable": ["CAP_KILL"],
    "ambient":     ["CAP_KILL"]}'
out=$(run_fg "$B") || fail "run: $out"
assert_eq 0000000000000020 "$(cap CapInh)" "uid 1000: CapInh"
assert_eq 0000000000000020 "$(cap CapPrm)" "uid 1000: CapPrm (ambient only)"
assert_eq 0000000000000020 "$(cap CapEff)" "uid 1000: CapEff (ambient only)"
assert_eq 00000000000000a1 "$(cap CapBnd)" "uid 1000: CapBnd"
assert_eq 0000000000000020 "$(cap CapAmb)" "uid 1000: CapAmb"

# behaviour: without CAP_CHOWN in the effective set, chown fails
edit_config "$B" '.process.user = {"uid": 0, "gid": 0} | .process.capabilities = {
    "bounding": ["CAP_KILL"], "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"]}'
set_args "$B" sh -c 'touch /tmp/f; chown 1000 /tmp/f 2>&1 && echo chowned'
out=$(run_fg "$B")
assert_contains "$out" "Operation not permitted" "chown refused without CAP_CHOWN"

# Unknown capability names are skipped with runc's warning (runc 1.2 and later), and so is an
# ambient capability that is not both permitted and inheritable.
edit_config "$B" '.process.capabilities = {"bounding": ["CAP_KILL", "CAP_NO_SUCH"], "permitted": ["CAP_KILL", "CAP_CHOWN"],
    "effective": ["CAP_KILL"], "inheritable": ["CAP_KILL"], "ambient": ["CAP_KILL", "CAP_CHOWN"]}'
set_args "$B" grep '^Cap' /proc/self/status
new_id ID
out=$(rtc run --bundle "$B" "$ID" </dev/null 2>&1) || fail "run with an unknown capability: $out"
assert_contains "$out" "ignoring unknown or unavailable capabilities: [CAP_NO_SUCH]" "unknown capability warned about"
assert_contains "$out" "can't raise ambient capability CAP_CHOWN: " "ambient CAP_CHOWN (not inheritable) warned about"
assert_not_contains "$out" "can't raise ambient capability CAP_KILL" "ambient CAP_KILL is raisable"
assert_eq 0000000000000020 "$(cap CapAmb)" "ambient: CAP_KILL raised, CAP_CHOWN not"
assert_eq 0000000000000020 "$(cap CapBnd)" "bounding: CAP_KILL, the unknown name skipped"
# With --log the warnings go to the log file only, as runc's do.
new_id ID
out=$(rtc --log "$TEST_TMP/log.json" --log-format json run --bundle "$B" "$ID" </dev/null 2>&1) || fail "run --log: $out"
assert_not_contains "$out" "ignoring unknown" "with --log, no warning on stderr"
assert_contains "$(cat "$TEST_TMP/log.json")" '"level":"warning"' "with --log, the warning is in the log file"
pass "unknown and unraisable capabilities: skipped with runc's warnings"

# exec --cap adds to bounding, effective and permitted; to ambient too when the process has an
# inheritable set (runc's rule: ambient needs inheritable). CAP_SYSLOG=34 -> 0x400000000.
edit_config "$B" '.process.capabilities = {"bounding": ["CAP_KILL", "CAP_CHOWN", "CAP_SYSLOG"],
    "permitted": ["CAP_KILL", "CAP_CHOWN"], "effective": ["CAP_KILL"],
    "inheritable": ["CAP_CHOWN", "CAP_SYSLOG"], "ambient": ["CAP_CHOWN"]}'
set_args "$B" sleep 600
new_id ID
run_detached "$ID" "$B"
out=$(rtc exec --cap CAP_SYSLOG "$ID" grep '^Cap' /proc/self/status 2>&1) || fail "exec --cap: $out"
assert_eq 0000000400000001 "$(cap CapInh)" "exec --cap: CapInh unchanged"
assert_eq 0000000400000021 "$(cap CapPrm)" "exec --cap: CapPrm gains CAP_SYSLOG"
assert_eq 0000000400000001 "$(cap CapAmb)" "exec --cap: CapAmb gains CAP_SYSLOG (the process has inheritable caps)"
rt delete -f "$ID" >/dev/null 2>&1
pass "exec --cap reaches the ambient set when the process has inheritable capabilities"
