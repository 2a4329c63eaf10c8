#!/bin/bash
# Device nodes and /dev symlinks are made in /dev without following what is
# already there: a bind-mounted /dev whose stdout already is a link to
# /proc/1/fd/1 keeps it (and the run works), and a rootfs /dev/null that is a
# symlink to a file of the rootfs is replaced, its target left alone.
source "$(dirname "$0")/../lib.sh"
require_root

B=$TEST_TMP/bundle
make_bundle "$B" sh -c 'readlink /dev/stdout; readlink /dev/stderr; readlink /dev/fd; readlink /dev/ptmx; echo to-stdout >>/dev/stdout'
DEVSRC=$TEST_TMP/devsrc
mkdir -p "$DEVSRC"
mount -t tmpfs -o mode=755 tmpfs "$DEVSRC" || skip "cannot mount a tmpfs"
on_exit "umount -l '$DEVSRC'"
ln -s /proc/1/fd/1 "$DEVSRC/stdout"
mknod -m 666 "$DEVSRC/null" c 1 3   # masked paths are covered with it
ln -s /proc/1/fd/1 "$B/rootfs/dev/stdout"
edit_config "$B" '.mounts |= map(if .destination == "/dev" then {"destination": "/dev", "type": "bind", "source": $s, "options": ["rbind", "rw"]} else . end)' --arg s "$DEVSRC"
out=$(run_fg "$B") || fail "run with a bind-mounted /dev holding a /dev/stdout link: $out $(cat "$TEST_TMP"/*.err)"
assert_eq "/proc/1/fd/1" "$(echo "$out" | sed -n 1p)" "existing /dev/stdout link kept"
assert_eq "/proc/self/fd/2" "$(echo "$out" | sed -n 2p)" "/dev/stderr made in the bound /dev"
assert_eq "/proc/self/fd" "$(echo "$out" | sed -n 3p)" "/dev/fd made in the bound /dev"
assert_eq "pts/ptmx" "$(echo "$out" | sed -n 4p)" "/dev/ptmx made in the bound /dev"
assert_eq "to-stdout" "$(echo "$out" | sed -n 5p)" "writes through the kept link reach stdout"
assert_eq "/proc/1/fd/1" "$(readlink "$DEVSRC/stdout")" "host side of the link unchanged"
pass "bind-mounted /dev"

# /dev of the rootfs itself (no tmpfs on it): /dev/null links to a rootfs file
B2=$TEST_TMP/bundle2
make_bundle "$B2" sh -c 'stat -c %F /dev/null; cat /etc/victim'
echo precious >"$B2/rootfs/etc/victim"
ln -s /etc/victim "$B2/rootfs/dev/null"
edit_config "$B2" '.mounts |= map(select(.destination != "/dev" and .destination != "/dev/pts" and .destination != "/dev/shm" and .destination != "/dev/mqueue"))'
out=$(run_fg "$B2") || fail "run with /dev/null a symlink: $out $(cat "$TEST_TMP"/*.err)"
assert_eq "character special file" "$(echo "$out" | sed -n 1p)" "/dev/null is a device"
assert_eq "precious" "$(echo "$out" | sed -n 2p)" "symlink target untouched inside"
[ -f "$B2/rootfs/etc/victim" ] && [ ! -L "$B2/rootfs/etc/victim" ] || fail "the link's target was replaced: $(ls -l "$B2/rootfs/etc/victim")"
assert_eq "precious" "$(cat "$B2/rootfs/etc/victim")" "symlink target content"
