#!/bin/bash
# A user namespace with uid/gid mappings: the maps inside, the host uid of the
# process outside, root inside owning its files.
source "$(dirname "$0")/../lib.sh"

B=$TEST_TMP/bundle
make_bundle "$B" sh -c 'cat /proc/self/uid_map /proc/self/gid_map; id -u; echo ready >/tmp/ready; sleep 600'
# the rootfs must be owned by the mapped root to be usable as root inside
chown -R 100000:100000 "$B/rootfs"
edit_config "$B" '.linux.namespaces += [{"type": "user"}]
  | .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
  | .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
new_id ID
run_detached "$ID" "$B"
wait_file "$B/rootfs/tmp/ready"
out=$(cat "$TEST_TMP/$ID.out")
assert_match "$(echo "$out" | sed -n 1p)" '^ +0 +100000 +65536$' "uid_map inside"
assert_match "$(echo "$out" | sed -n 2p)" '^ +0 +100000 +65536$' "gid_map inside"
assert_eq 0 "$(echo "$out" | sed -n 3p)" "root inside"
pid=$(state_of "$ID" pid)
assert_match "$(grep '^Uid:' /proc/"$pid"/status)" '^Uid:\s+100000\s+100000\s+100000\s+100000$' "host uid of the container process"
[ "$(readlink /proc/"$pid"/ns/user)" != "$(readlink /proc/self/ns/user)" ] || fail "container shares the host user namespace"
pass "container has its own user namespace"
assert_eq 100000 "$(stat -c %u "$B/rootfs/tmp/ready")" "files created inside are owned by the mapped uid"
