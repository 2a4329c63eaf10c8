#!/bin/bash
# Rootless with more than the caller's own uid: maps beyond "0 -> me" go through
# newuidmap/newgidmap (package uidmap), which check them against /etc/subuid and
# /etc/subgid. The test gives nobody a subordinate range in a private mount
# namespace (its own files bound over /etc/subuid and /etc/subgid: the host's stay
# untouched), then runs a container as nobody whose root and uids 1..65536 are
# mapped, and one that asks for a range nobody was not given.
if [ -z "${MYRT_WIDE_MAPS_MNTNS:-}" ] && command -v unshare >/dev/null; then
    exec unshare -m --propagation private env MYRT_WIDE_MAPS_MNTNS=1 bash "$0" "$@"
fi
source "$(dirname "$0")/../lib.sh"
require_cmd newuidmap newgidmap unshare
[ -n "${MYRT_WIDE_MAPS_MNTNS:-}" ] || skip "needs a private mount namespace (unshare -m)"
source "$(dirname "$0")/as_nobody.sh"

echo "nobody:200000:65536" >"$TEST_TMP/subuid"
echo "nobody:300000:65536" >"$TEST_TMP/subgid"
touch /etc/subuid /etc/subgid 2>/dev/null
mount --bind "$TEST_TMP/subuid" /etc/subuid || skip "cannot bind a private /etc/subuid"
mount --bind "$TEST_TMP/subgid" /etc/subgid || fail "bind a private /etc/subgid"

B=$TEST_TMP/bundle
mkdir -p "$B"
make_rootfs "$B/rootfs"
chown -R "$RL_UID:$RL_GID" "$B"
as_user sh -c "cd '$B' && '$MYRT' spec --rootless" || fail "spec --rootless as nobody"
edit_config "$B" '.process.terminal = false | .root.readonly = false
  | .process.capabilities |= with_entries(.value += ["CAP_CHOWN"])
  | .linux.uidMappings = [{"containerID": 0, "hostID": $u, "size": 1}, {"containerID": 1, "hostID": 200000, "size": 65536}]
  | .linux.gidMappings = [{"containerID": 0, "hostID": $g, "size": 1}, {"containerID": 1, "hostID": 300000, "size": 65536}]
  | .process.args = ["sh", "-c", "cat /proc/self/uid_map /proc/self/gid_map; touch /tmp/f && chown 1000:1000 /tmp/f && stat -c %u:%g /tmp/f"]' \
    --argjson u "$RL_UID" --argjson g "$RL_GID"
chown "$RL_UID:$RL_GID" "$B/config.json"

out=$(as_user "$MYRT" run --bundle "$B" rl-wide </dev/null 2>"$TEST_TMP/wide.err") ||
    fail "run with subordinate ranges: $out $(cat "$TEST_TMP/wide.err")"
assert_match "$(echo "$out" | sed -n 1p)" "^ *0 +$RL_UID +1$" "uid_map: root is nobody"
assert_match "$(echo "$out" | sed -n 2p)" '^ *1 +200000 +65536$' "uid_map: 1.. from nobody's /etc/subuid range"
assert_match "$(echo "$out" | sed -n 4p)" '^ *1 +300000 +65536$' "gid_map: 1.. from nobody's /etc/subgid range"
assert_eq 1000:1000 "$(echo "$out" | sed -n 5p)" "root inside can chown to a mapped uid"
pass "a wide rootless map through newuidmap/newgidmap"

# A range outside what /etc/subuid grants is refused by newuidmap, and said.
edit_config "$B" '.linux.uidMappings[1].hostID = 400000'
out=$(as_user "$MYRT" run --bundle "$B" rl-bad </dev/null 2>&1) && fail "a map beyond /etc/subuid was accepted: $out"
assert_contains "$out" "newuidmap" "the refusal names newuidmap ($out)"
as_user "$MYRT" state rl-bad >/dev/null 2>&1 && fail "a refused container is left behind"
pass "a range nobody was not given is refused"
