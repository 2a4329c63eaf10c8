#!/bin/bash
# A container with its own user namespace (uid/gid maps, as Podman's --userns
# makes) is checkpointed and restored: same maps, same host and container
# ids, open files, pipes and mappings intact; root inside and a plain user
# inside. A restore into a bundle whose maps differ, or that has no user
# namespace, is refused by name and leaves nothing behind.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
require_root

MAPS='.linux.namespaces += [{"type": "user"}]
  | .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
  | .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'

# userns_case NAME MODE USER_JSON: run crwork MODE as USER in a user namespace,
# checkpoint, restore, compare what the host sees, verify inside.
userns_case() {
    local name=$1 mode=$2 user=$3
    B=$TEST_TMP/$name
    cr_bundle "$B" "$mode"
    edit_config "$B" "$MAPS | .process.user = \$user"' | .mounts += [{"destination": "/scratch", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev"]}]' --argjson user "$user"
    chown -R 100000:100000 "$B/rootfs"
    chown "$((100000 + $(jq .uid <<<"$user"))):$((100000 + $(jq .gid <<<"$user")))" "$B.shared"
    new_id ID
    run_detached "$ID" "$B"
    wait_file "$B.shared/ready" 30
    local pid before after
    pid=$(state_of "$ID" pid)
    before=$(grep -E '^(Uid|Gid|Groups):' "/proc/$pid/status"; cat "/proc/$pid/uid_map" "/proc/$pid/gid_map")
    # A tmpfs file of the container's user: owner (as the container sees it) and contents come back.
    local ids
    ids="$(jq .uid <<<"$user") $(jq .gid <<<"$user")"
    rt exec --user "${ids/ /:}" "$ID" /bin/sh -c 'echo kept >/scratch/f' || fail "$name: exec to write the tmpfs file"
    cr_checkpoint "$ID" "$TEST_TMP/$name.img" || fail "$name: checkpoint: $(cat "$TEST_TMP/ckpt.err")"
    cr_gone "$ID"
    assert_contains "$(cat "$TEST_TMP/$name.img.work/dump.log")" "user namespace: uid map 0:100000:65536" \
        "$name: dump.log names the maps"

    # Maps that differ from the image's, then no user namespace: refused, nothing made.
    cp "$B/config.json" "$TEST_TMP/$name.config"
    edit_config "$B" '.linux.uidMappings = [{"containerID": 0, "hostID": 200000, "size": 65536}]'
    cr_restore "$ID" "$B" "$TEST_TMP/$name.img" && fail "$name: restore with other uid maps succeeded"
    assert_contains "$(cat "$TEST_TMP/restore.err")" "linux.uidMappings is 0:200000:65536" "$name: other maps refused by name"
    [ -e "$STATE/$ID" ] && fail "$name: a refused restore left state behind"
    edit_config "$B" 'del(.linux.uidMappings, .linux.gidMappings) | .linux.namespaces |= map(select(.type != "user"))'
    cr_restore "$ID" "$B" "$TEST_TMP/$name.img" && fail "$name: restore without a user namespace succeeded"
    assert_contains "$(cat "$TEST_TMP/restore.err")" "namespaces, the bundle creates" "$name: no user namespace refused"
    [ -e "$STATE/$ID" ] && fail "$name: a refused restore left state behind"
    pass "$name: bundles with other maps or no user namespace refused by name"

    cp "$TEST_TMP/$name.config" "$B/config.json"
    cr_restore "$ID" "$B" "$TEST_TMP/$name.img" || fail "$name: restore: $(cat "$TEST_TMP/restore.err")"
    pid=$(state_of "$ID" pid)
    after=$(grep -E '^(Uid|Gid|Groups):' "/proc/$pid/status"; cat "/proc/$pid/uid_map" "/proc/$pid/gid_map")
    assert_eq "$before" "$after" "$name: ids and maps seen from the host after restore"
    [ "$(readlink "/proc/$pid/ns/user")" != "$(readlink /proc/self/ns/user)" ] || fail "$name: restored into the host user namespace"
    pass "$name: restored in its own user namespace"
    assert_eq "$ids kept" "$(rt exec "$ID" /bin/sh -c 'stat -c "%u %g" /scratch/f | tr "\n" " "; cat /scratch/f')" \
        "$name: a tmpfs file's owner (as the container sees it) and contents"
    # The restored container is an ordinary one: checkpoint it again, then check.
    cr_checkpoint "$ID" "$TEST_TMP/$name.img2" || fail "$name: second checkpoint: $(cat "$TEST_TMP/ckpt.err")"
    cr_restore "$ID" "$B" "$TEST_TMP/$name.img2" || fail "$name: second restore: $(cat "$TEST_TMP/restore.err")"
    cr_verify "$ID" "$B.shared"
    pass "$name: checkpointed and restored a second time, state checked by the workload"
    rt delete --force "$ID" >/dev/null 2>&1
}

userns_case root files '{"uid": 0, "gid": 0}'
userns_case user threads '{"uid": 1000, "gid": 1000, "additionalGids": [1001, 1002]}'
