#!/bin/bash
# The default devices exist with the right numbers and work; a linux.devices
# entry creates a node with its type, major/minor, mode and owner; the devices
# cgroup refuses what is not allowed.
source "$(dirname "$0")/../lib.sh"

B=$TEST_TMP/bundle
make_bundle "$B" sh -c '
  for d in null zero full random urandom tty; do stat -c "%n %F %t:%T" /dev/$d; done
  head -c 4 /dev/zero | od -An -tx1
  echo x 2>&1 >/dev/full || true
  head -c 16 /dev/urandom | wc -c
  stat -c "%n %F %t:%T %a %u:%g" /dev/myzero
  head -c 2 /dev/myzero | od -An -tx1
  ls -l /dev/ptmx /dev/fd/0 >/dev/null && echo links-ok'
edit_config "$B" '.linux.devices = [{"path": "/dev/myzero", "type": "c", "major": 1, "minor": 5, "fileMode": 416, "uid": 1000, "gid": 100}]
  | .process.capabilities |= with_entries(.value += ["CAP_DAC_OVERRIDE"])   # root reads the 0640 node owned by 1000
  | .linux.resources.devices = [{"allow": false, "access": "rwm"}, {"allow": true, "type": "c", "major": 1, "minor": 5, "access": "rwm"}]'
out=$(run_fg "$B") || fail "run: $out $(cat "$TEST_TMP"/*.err)"
line() { echo "$out" | sed -n "$1p"; }
assert_eq "/dev/null character special file 1:3" "$(line 1)" "/dev/null"
assert_eq "/dev/zero character special file 1:5" "$(line 2)" "/dev/zero"
assert_eq "/dev/full character special file 1:7" "$(line 3)" "/dev/full"
assert_eq "/dev/random character special file 1:8" "$(line 4)" "/dev/random"
assert_eq "/dev/urandom character special file 1:9" "$(line 5)" "/dev/urandom"
assert_eq "/dev/tty character special file 5:0" "$(line 6)" "/dev/tty"
assert_eq "00 00 00 00" "$(line 7 | xargs)" "/dev/zero reads zeros"
assert_contains "$(line 8)" "No space left on device" "/dev/full write fails with ENOSPC"
assert_eq 16 "$(line 9 | xargs)" "/dev/urandom readable"
assert_eq "/dev/myzero character special file 1:5 640 1000:100" "$(line 10)" "linux.devices node: type, numbers, mode, owner"
assert_eq "00 00" "$(line 11 | xargs)" "linux.devices node works"
assert_eq links-ok "$(line 12)" "/dev/ptmx and /dev/fd present"

# the devices cgroup: a node for a device not allowed cannot be opened
edit_config "$B" '.linux.devices = [{"path": "/dev/mymem", "type": "c", "major": 1, "minor": 1, "fileMode": 384}]'
set_args "$B" sh -c 'head -c 1 /dev/mymem >/dev/null 2>&1 && echo opened || echo refused'
out=$(run_fg "$B") || fail "run: $out"
assert_eq refused "$out" "devices cgroup denies a device that is not allowed"
