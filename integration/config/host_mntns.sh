#!/bin/bash
# A config without a mount namespace: the container shares the runtime's
# mount namespace and runs chrooted in its rootfs, as runc does, and the
# mounts that were there before stay as they were (no propagation change, no
# rootfs bind, no read-only remount). What would change the runtime's mounts
# (masked and readonly paths, rootfsPropagation) is refused.
# The whole test runs in a private mount namespace of its own: the runtime's
# namespace here is that one, never the host's.
if [ -z "${MYRT_HOST_MNTNS_NS:-}" ]; then
    exec unshare -m --propagation private env MYRT_HOST_MNTNS_NS=1 bash "$0" "$@"
fi
source "$(dirname "$0")/../lib.sh"

# "/" shared in this namespace: a runtime that set its default rslave on "/"
# here would show.
mount --make-shared / || fail "make / shared in the test's namespace"
B=$TEST_TMP/bundle
make_bundle "$B" sh -c 'readlink /proc/self/ns/mnt; echo hello >/tmp/written; cat /etc/hostname 2>/dev/null; ls /dev/null'
# the config's mounts stay in the shared namespace (as with runc): unmounted
# here, deepest first, before the temp dir is removed
unmount_rootfs() {
    awk -v r="$B/rootfs/" 'index($5, r) == 1 { print $5 }' /proc/self/mountinfo | sort -r | while read -r m; do umount -l "$m"; done
}
on_exit unmount_rootfs
edit_config "$B" '.linux.namespaces |= map(select(.type != "mount")) | .linux.maskedPaths = [] | .linux.readonlyPaths = []'

# every mount outside the rootfs, with its options and propagation
outside() { awk -v r="$B/rootfs" 'index($5, r) != 1 { $1 = $2 = ""; print }' /proc/self/mountinfo; }
before=$(outside)
out=$(run_fg "$B") || fail "run without a mount namespace: $out $(cat "$TEST_TMP"/*.err)"
assert_eq "$(readlink /proc/self/ns/mnt)" "$(echo "$out" | sed -n 1p)" "the container is in the runtime's mount namespace"
assert_eq hello "$(cat "$B/rootfs/tmp/written")" "the container ran chrooted in its rootfs"
assert_eq /dev/null "$(echo "$out" | tail -1)" "devices created in the rootfs"
assert_eq "$before" "$(outside)" "the mounts outside the rootfs are unchanged"
assert_match "$(awk '$5 == "/"' /proc/self/mountinfo)" ' shared:[0-9]+ ' "/ is still shared"
grep -q " $B/rootfs/proc " /proc/self/mountinfo || fail "the config's /proc mount is not in the shared namespace"
pass "the config's mounts are made in the shared namespace (as runc)"

# what would change the runtime's mounts is refused
for f in '.linux.maskedPaths = ["/proc/kcore"]' '.linux.readonlyPaths = ["/proc/sys"]' '.linux.rootfsPropagation = "rshared"'; do
    cp "$B/config.json" "$B/config.json.ok"
    edit_config "$B" "$f"
    new_id ID
    err=$(rtc run --bundle "$B" "$ID" </dev/null 2>&1) && fail "accepted without a mount namespace: $f"
    assert_contains "$err" "needs a mount namespace of its own" "refused without a mount namespace: $f"
    mv "$B/config.json.ok" "$B/config.json"
done
assert_eq "$before" "$(outside)" "the refused runs changed no mount"
unmount_rootfs
grep -q " $B/rootfs/" /proc/self/mountinfo && fail "mounts left under the rootfs after unmounting"
pass "the rootfs mounts are gone"
