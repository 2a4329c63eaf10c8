#!/bin/bash
# --help exits 0 on every command (podman and CRI-O probe `checkpoint --help`),
# --version works, and an unknown command or flag fails.
source "$(dirname "$0")/../lib.sh"

for cmd in create start run state kill delete list exec ps pause resume update spec features checkpoint restore; do
    out=$("$MYRT" "$cmd" --help 2>&1) || fail "$cmd --help exited $?: $out"
    [ -n "$out" ] || fail "$cmd --help printed nothing"
    pass "$cmd --help"
done
"$MYRT" --help >/dev/null 2>&1 || fail "--help"
pass "global --help"
v=$("$MYRT" --version 2>&1) || fail "--version"
assert_match "$v" '[0-9]+\.[0-9]+' "--version prints a version"
v=$("$MYRT" --root "$STATE" --log "$TEST_TMP/l" --log-format json --version 2>&1) || fail "--version after global flags"
pass "--version after global flags"

out=$("$MYRT" no-such-command 2>&1) && fail "unknown command succeeded"
pass "unknown command fails"
out=$("$MYRT" --root "$STATE" state --no-such-flag x 2>&1) && fail "unknown flag succeeded"
pass "unknown flag fails"
# accepted and ignored/handled global flags callers send (list needs an existing --root)
mkdir -p "$STATE"
"$MYRT" --root "$STATE" --criu /usr/sbin/criu --debug list >/dev/null 2>&1 || fail "--criu/--debug not accepted"
pass "--criu and --debug accepted"
