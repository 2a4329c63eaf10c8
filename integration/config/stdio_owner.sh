#!/bin/bash
# stdio given to a container whose process is not root is chowned to its user
# (as runc), so the process can reopen /proc/self/fd/N; /dev/null is left alone.
source "$(dirname "$0")/../lib.sh"

B=$TEST_TMP/bundle
make_bundle "$B" sh -c 'echo via-proc >/proc/self/fd/1 && echo via-proc-err >/proc/self/fd/2'
edit_config "$B" '.process.user = {"uid": 1000, "gid": 1000}'
new_id ID
# stdout and stderr are pipes (made by root, mode 0600)
out=$( { rt run --bundle "$B" "$ID" </dev/null 2>&1; echo "rc=$?"; } | cat)
assert_contains "$out" "via-proc" "stdout pipe reopened through /proc/self/fd/1"
assert_contains "$out" "via-proc-err" "stderr pipe reopened through /proc/self/fd/2"
assert_contains "$out" "rc=0" "run exit code"
# a root-owned 0600 file as stdout
f=$TEST_TMP/out.file
: >"$f"; chmod 600 "$f"
new_id ID
rt run --bundle "$B" "$ID" </dev/null >"$f" 2>"$TEST_TMP/err" || fail "run with a file as stdout: $(cat "$TEST_TMP/err") $(cat "$f")"
assert_eq "via-proc" "$(cat "$f")" "file stdout reopened"
assert_eq "1000:1000" "$(stat -c %u:%g "$f")" "file stdout chowned to the container user"
assert_eq "0:0" "$(stat -c %u:%g /dev/null)" "/dev/null untouched"
