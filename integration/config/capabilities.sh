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

# an unknown capability name is a clear error
edit_config "$B" '.process.capabilities.bounding = ["CAP_NO_SUCH"]'
new_id ID
out=$(rtc run --bundle "$B" "$ID" </dev/null 2>&1) && fail "unknown capability accepted"
assert_contains "$out" "CAP_NO_SUCH" "unknown capability named in the error"
