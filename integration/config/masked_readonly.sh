#!/bin/bash
# maskedPaths (missing ones ignored; a file reads empty as /dev/null, a directory is an empty
# read-only tmpfs) and readonlyPaths (/proc/sys not writable).
source "$(dirname "$0")/../lib.sh"

B=$TEST_TMP/bundle
# /proc/kcore is the classic example but this kernel has none: /proc/keys and
# /proc/timer_list exist here.
make_bundle "$B" sh -c '
  stat -c "%F %t:%T" /proc/keys
  cat /proc/keys /proc/timer_list | wc -c
  ls -A /sys/firmware | wc -l
  touch /sys/firmware/x 2>/dev/null && echo masked-dir-writable || echo masked-dir-readonly
  echo 1 >/proc/sys/kernel/domainname 2>/dev/null && echo proc-sys-writable || echo proc-sys-readonly
  grep " /proc/sys " /proc/self/mountinfo'
edit_config "$B" '.linux.maskedPaths = ["/proc/kcore", "/proc/keys", "/proc/timer_list", "/sys/firmware", "/proc/no-such-path"]
  | .linux.readonlyPaths = ["/proc/sys", "/proc/sysrq-trigger"]'
out=$(run_fg "$B") || fail "run: $out $(cat "$TEST_TMP"/*.err)"
assert_eq "character special file 1:3" "$(echo "$out" | sed -n 1p)" "/proc/keys masked by /dev/null"
assert_eq 0 "$(echo "$out" | sed -n 2p)" "masked /proc files read empty"
assert_eq 0 "$(echo "$out" | sed -n 3p)" "/sys/firmware masked (empty)"
assert_eq masked-dir-readonly "$(echo "$out" | sed -n 4p)" "masked directory is read-only"
assert_eq proc-sys-readonly "$(echo "$out" | sed -n 5p)" "/proc/sys not writable"
assert_match "$(echo "$out" | sed -n 6p)" '^[^ ]+ [^ ]+ [^ ]+ [^ ]+ /proc/sys ro[, ]' "/proc/sys mounted read-only"
