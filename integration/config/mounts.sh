#!/bin/bash
# mounts: tmpfs with nosuid,nodev,noexec and size; bind mounts rw and ro;
# readonly root; /proc, /dev, /dev/pts, /dev/shm, /sys present.
source "$(dirname "$0")/../lib.sh"

B=$TEST_TMP/bundle
mkdir -p "$TEST_TMP/rw" "$TEST_TMP/ro"
echo host-data >"$TEST_TMP/ro/file"
make_bundle "$B" cat /proc/self/mountinfo
edit_config "$B" '.root.readonly = true
  | .mounts += [{"destination": "/scratch", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev", "noexec", "size=4m", "mode=1777"]}]'
add_bind "$B" "$TEST_TMP/rw" /data/rw '["rbind", "rw"]'
add_bind "$B" "$TEST_TMP/ro" /data/ro '["bind", "ro"]'
mi=$(run_fg "$B") || fail "run: $(cat "$TEST_TMP"/*.err)"

line() { echo "$mi" | awk -v d="$1" '$5 == d'; }
scratch=$(line /scratch)
[ -n "$scratch" ] || fail "no /scratch in mountinfo: $mi"
assert_contains "$scratch" " - tmpfs " "/scratch is tmpfs"
for o in nosuid nodev noexec; do assert_match "$scratch" "^[^ ]+ [^ ]+ [^ ]+ [^ ]+ [^ ]+ [^ ]*\b$o\b" "/scratch mount option $o"; done
assert_match "$scratch" 'size=4096k' "/scratch tmpfs size=4m"
root=$(line /)
assert_match "$root" '^[^ ]+ [^ ]+ [^ ]+ [^ ]+ / ro[, ]' "root is mounted read-only"
assert_match "$(line /data/ro)" '^[^ ]+ [^ ]+ [^ ]+ [^ ]+ /data/ro ro[, ]' "ro bind mount is read-only"
assert_match "$(line /data/rw)" '^[^ ]+ [^ ]+ [^ ]+ [^ ]+ /data/rw rw[, ]' "rw bind mount is read-write"
for d in /proc /dev /dev/pts /dev/shm /sys; do
    [ -n "$(line $d)" ] || fail "$d not mounted"
done
pass "/proc /dev /dev/pts /dev/shm /sys mounted"
assert_contains "$(line /proc)" " - proc " "/proc is procfs"
assert_contains "$(line /sys)" " - sysfs " "/sys is sysfs"
assert_contains "$(line /dev/pts)" " - devpts " "/dev/pts is devpts"

# behaviour, not just flags
set_args "$B" sh -c '
  touch /newfile 2>/dev/null && echo root-writable || echo root-readonly
  echo x >/data/rw/out && echo rw-ok
  cat /data/ro/file
  echo y >/data/ro/file 2>/dev/null && echo ro-writable || echo ro-refused
  cp /bin/busybox /scratch/bb && /scratch/bb true 2>/dev/null && echo exec-allowed || echo noexec-enforced
  echo z >/dev/shm/f && echo shm-ok'
out=$(run_fg "$B")
assert_eq "$(printf 'root-readonly\nrw-ok\nhost-data\nro-refused\nnoexec-enforced\nshm-ok')" "$out" "mount behaviour inside the container"
assert_eq x "$(cat "$TEST_TMP/rw/out")" "write through the rw bind mount reaches the host"
assert_eq host-data "$(cat "$TEST_TMP/ro/file")" "ro bind mount source unchanged"
[ ! -e "$B/rootfs/newfile" ] || fail "readonly root was written"
pass "readonly root not written"

# the container's mounts stay in its own mount namespace
if grep -q "$B/rootfs" /proc/self/mountinfo; then fail "container mounts leaked into the host mount namespace"; fi
pass "no mount leaked to the host"

# Recursive options (features lists them): rbind + rro makes a submount of the
# source read-only too, where plain ro would reach only the top mount.
tree=$TEST_TMP/tree
mkdir -p "$tree/sub"
mount -t tmpfs -o size=1m tmpfs "$tree/sub" || fail "host tmpfs for the rro test"
on_exit "umount -l '$tree/sub'"
B2=$TEST_TMP/bundle-rro
make_bundle "$B2" sh -c 'echo a >/tree/sub/f 2>/dev/null && echo sub-writable || echo sub-refused'
edit_config "$B2" '.root.readonly = false'
add_bind "$B2" "$tree" /tree '["rbind","rro"]'
assert_eq sub-refused "$(run_fg "$B2")" "rro reaches the submount of a bind mount"
[ ! -e "$tree/sub/f" ] || fail "the submount was written through an rro mount"
pass "recursive read-only bind mount"
