#!/bin/bash
# spec writes a default config.json (and refuses to overwrite one); features
# prints the OCI features JSON.
source "$(dirname "$0")/../lib.sh"

D=$TEST_TMP/specdir
mkdir -p "$D"
(cd "$D" && "$MYRT" spec) || fail "spec"
C=$D/config.json
jq -e . "$C" >/dev/null || fail "spec output is not JSON"
assert_match "$(jq -r .ociVersion "$C")" '^1\.' "ociVersion"
assert_eq rootfs "$(jq -r .root.path "$C")" "root.path"
jq -e '.process.args | type == "array" and length > 0' "$C" >/dev/null || fail "process.args"
jq -e '[.linux.namespaces[].type] | (index("pid") != null and index("mount") != null)' "$C" >/dev/null || fail "namespaces lack pid/mount"
jq -e '[.mounts[].destination] | index("/proc") != null' "$C" >/dev/null || fail "no /proc mount"
jq -e '.linux.maskedPaths | length > 0' "$C" >/dev/null || fail "no maskedPaths"
pass "default config has args, namespaces, mounts, maskedPaths"
# As runc: a cgroup namespace only on a pure cgroup v2 host (none on v1 or hybrid).
has_cgns=$(jq '[.linux.namespaces[] | select(.type == "cgroup")] | length' "$C")
if [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then
    assert_eq 1 "$has_cgns" "cgroup namespaces in the spec of a pure cgroup v2 host"
else
    assert_eq 0 "$has_cgns" "cgroup namespaces in the spec of a v1 or hybrid host"
fi
assert_eq 0 "$(jq '[.linux.namespaces[].type] | group_by(.) | map(select(length > 1)) | length' "$C")" "namespace types listed twice"
pass "cgroup namespace as runc's spec has it ($has_cgns on this $(stat -f -c %T /sys/fs/cgroup) host)"
cp "$C" "$TEST_TMP/first.json"
if (cd "$D" && "$MYRT" spec) 2>/dev/null; then
    cmp -s "$C" "$TEST_TMP/first.json" || fail "spec changed an existing config.json"
fi
pass "existing config.json left alone"

# the generated spec is runnable as is (with a rootfs)
make_rootfs "$D/rootfs"
edit_config "$D" '.process.terminal = false | .process.args = ["sh", "-c", "echo spec-ok"]'
new_id ID
out=$(rtc run --bundle "$D" "$ID" </dev/null 2>&1) || fail "run of the default spec: $out"
assert_eq spec-ok "$out" "default spec runs"

F=$("$MYRT" features 2>&1) || fail "features: $F"
echo "$F" | jq -e . >/dev/null || fail "features is not JSON: $F"
assert_match "$(echo "$F" | jq -r .ociVersionMin)" '^1\.' "features ociVersionMin"
assert_match "$(echo "$F" | jq -r .ociVersionMax)" '^1\.' "features ociVersionMax"
echo "$F" | jq -e '.hooks | index("createRuntime") != null' >/dev/null || fail "features hooks lack createRuntime"
echo "$F" | jq -e '.mountOptions | index("nosuid") != null' >/dev/null || fail "features mountOptions lack nosuid"
echo "$F" | jq -e '.linux.namespaces | index("user") != null' >/dev/null || fail "features lack the user namespace"
echo "$F" | jq -e '.linux.seccomp.enabled == true' >/dev/null || fail "features: seccomp not enabled"
pass "features lists hooks, mount options, namespaces, seccomp"
