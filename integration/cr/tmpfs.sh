#!/bin/bash
# The contents of the container's tmpfs mounts (/dev/shm here) come back:
# directories, files with their bytes and modes, symlinks.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
require_root

B=$TEST_TMP/bundle
cr_bundle "$B" counter
new_id ID
run_detached "$ID" "$B"
wait_file "$B.shared/count" 20
rt exec "$ID" sh -c 'mkdir -p /dev/shm/d/e && echo hello >/dev/shm/d/e/f && chmod 640 /dev/shm/d/e/f &&
    ln -s d/e/f /dev/shm/link && dd if=/dev/urandom of=/dev/shm/big bs=1024 count=3000 2>/dev/null' </dev/null ||
    fail "exec to fill /dev/shm"
before=$(rt exec "$ID" sh -c 'md5sum /dev/shm/big; stat -c "%a %s" /dev/shm/d/e/f; readlink /dev/shm/link; cat /dev/shm/link' </dev/null)
cr_roundtrip "$ID" "$B"
after=$(rt exec "$ID" sh -c 'md5sum /dev/shm/big; stat -c "%a %s" /dev/shm/d/e/f; readlink /dev/shm/link; cat /dev/shm/link' </dev/null)
assert_eq "$before" "$after" "/dev/shm contents, modes and links after restore"
assert_contains "$(cat "$TEST_TMP/img.1.work/dump.log")" "tmpfs contents: 5 entries" "dump.log counts the entries"
pass "tmpfs contents restored"
