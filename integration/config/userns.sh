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
rt delete --force "$ID" >/dev/null 2>&1

# Bind sources are opened on the host side, as runc does: a source below a
# directory only host root can traverse is still mounted, and what the
# mapped root may read there it reads (runc's "bind mount through a
# restricted parent"). The restricted dir is in the test's own temp dir.
secret=$TEST_TMP/root-only
mkdir -p "$secret/shared"
chmod 700 "$secret"
echo visible >"$secret/shared/file"
chmod 755 "$secret/shared"
chmod 644 "$secret/shared/file"
set_args "$B" cat /mnt/shared/file
edit_config "$B" '.mounts += [{"destination": "/mnt/shared", "type": "bind", "source": $s, "options": ["rbind", "ro"]}]' \
    --arg s "$secret/shared"
out=$(run_fg "$B") || fail "run with a bind source below a root-only directory: $out $(cat "$TEST_TMP"/*.err | tail -3)"
assert_eq visible "$out" "bind source below a root-only directory mounted in a user-namespace container"
set_args "$B" sh -c 'touch /mnt/shared/x 2>&1; true'
out=$(run_fg "$B")
assert_contains "$out" "Read-only file system" "the bind keeps its ro flag"
