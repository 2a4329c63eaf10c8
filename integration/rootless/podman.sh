#!/bin/bash
# Rootless Podman (as nobody) with --runtime $MYRT: podman runs the runtime as root of its own
# user namespace, without --root; myrt must keep its state under $XDG_RUNTIME_DIR, skip the
# cgroups it cannot write and bind the device nodes from the host.
source "$(dirname "$0")/../lib.sh"
require_cmd podman conmon setpriv
RL_UID=$(id -u nobody 2>/dev/null) || skip "needs the user nobody"
RL_GID=$(id -g nobody)
D=$TEST_TMP/podman
mkdir -p "$D/home" "$D/xdg" && chown -R "$RL_UID:$RL_GID" "$D" && chmod 700 "$D/xdg"
P=(podman --root "$D/home/root" --runroot "$D/xdg/runroot" --storage-driver vfs --cgroup-manager=cgroupfs
    --events-backend=file --runtime "$MYRT")
as_user() {
    timeout -k 5 120 setpriv --reuid="$RL_UID" --regid="$RL_GID" --clear-groups \
        env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$D/home" XDG_RUNTIME_DIR="$D/xdg" "$@"
}
as_user unshare -U true 2>/dev/null || skip "unprivileged user namespaces are disabled on this host"
# podman's own state of the user namespace lives in $D; a kill of the pause process ends it.
on_exit "as_user ${P[*]} rm -af -t 0; as_user ${P[*]} system migrate; pause_pid=\$(cat '$D/xdg/libpod/tmp/pause.pid' 2>/dev/null) && kill -KILL \$pause_pid"

# The image: the busybox rootfs, owned by 0 (a single-id user namespace has no other ids).
make_rootfs "$TEST_TMP/rootfs"
tar -C "$TEST_TMP/rootfs" --owner=0 --group=0 --numeric-owner -cf "$D/rootfs.tar" . || fail "tar of the rootfs"
chmod 644 "$D/rootfs.tar"
as_user "${P[@]}" import "$D/rootfs.tar" localhost/rl-busybox:latest >/dev/null 2>"$TEST_TMP/import.err" ||
    skip "rootless podman cannot import an image on this host (outside myrt): $(tail -1 "$TEST_TMP/import.err")"

out=$(as_user "${P[@]}" run --rm --network=none localhost/rl-busybox:latest echo ok </dev/null 2>"$TEST_TMP/run.err") ||
    fail "rootless podman run: $(cat "$TEST_TMP/run.err")"
assert_eq ok "$out" "rootless podman run --rm --network=none echo ok"
out=$(as_user "${P[@]}" run --rm --network=none localhost/rl-busybox:latest sh -c 'id -u; ls -l /dev/null' </dev/null 2>"$TEST_TMP/run.err") ||
    fail "rootless podman run: $(cat "$TEST_TMP/run.err")"
assert_match "$out" "^0"$'\n'"crw-rw-rw- " "root in podman's user namespace, /dev/null bound from the host"
[ -d "$D/xdg/myrt" ] || fail "myrt kept no state under podman's \$XDG_RUNTIME_DIR"
pass "myrt's state is under \$XDG_RUNTIME_DIR/myrt"
assert_eq "" "$(as_user "${P[@]}" ps -aq)" "no container left after --rm"
