#!/bin/bash
# process.cwd missing from the rootfs is created (also with a read-only root);
# exec into a missing cwd fails naming it. HOME comes from the user's passwd
# entry (or "/") when process.env sets none, for run and exec.
source "$(dirname "$0")/../lib.sh"

B=$TEST_TMP/bundle
make_bundle "$B" sh -c 'pwd; stat -c "%a %u" .; echo "HOME=$HOME"'
edit_config "$B" '.process.cwd = "/work/deep/dir" | .root.readonly = true | .process.env = ["PATH=/bin"]'
out=$(run_fg "$B") || fail "run with a missing cwd and a read-only root: $out $(cat "$TEST_TMP"/*.err)"
assert_eq "/work/deep/dir" "$(echo "$out" | sed -n 1p)" "missing cwd created and entered"
assert_eq "755 0" "$(echo "$out" | sed -n 2p)" "created cwd is root's, 0755"
assert_eq "HOME=/root" "$(echo "$out" | sed -n 3p)" "HOME of root from /etc/passwd"
[ -d "$B/rootfs/work/deep/dir" ] || fail "cwd not created inside the rootfs"
pass "missing cwd created under a read-only root"

# HOME: the user's entry; "/" for a uid without one; the config's own wins
edit_config "$B" '.process.cwd = "/" | .root.readonly = false | .process.user = {"uid": 1000, "gid": 1000}'
out=$(run_fg "$B") || fail "run as 1000: $out"
assert_eq "HOME=/home/user" "$(echo "$out" | sed -n 3p)" "HOME of uid 1000"
edit_config "$B" '.process.user = {"uid": 4242, "gid": 4242}'
out=$(run_fg "$B") || fail "run as 4242: $out"
assert_eq "HOME=/" "$(echo "$out" | sed -n 3p)" "HOME of a uid without a passwd entry"
edit_config "$B" '.process.user = {"uid": 1000, "gid": 1000} | .process.env = ["PATH=/bin", "HOME=/custom"]'
out=$(run_fg "$B") || fail "run with HOME set: $out"
assert_eq "HOME=/custom" "$(echo "$out" | sed -n 3p)" "HOME of the config kept"
pass "HOME for run"

# exec: HOME from passwd; a missing cwd is an error naming it
edit_config "$B" '.process.user = {"uid": 0, "gid": 0} | .process.env = ["PATH=/bin"]'
set_args "$B" sleep 300
new_id ID
run_detached "$ID" "$B"
out=$(rtc exec --user 1000 "$ID" sh -c 'echo $HOME') || fail "exec: $out"
assert_eq "/home/user" "$out" "HOME of the exec user"
out=$(rtc exec --env HOME=/x "$ID" sh -c 'echo $HOME') || fail "exec with --env HOME: $out"
assert_eq "/x" "$out" "exec --env HOME kept"
out=$(rtc exec --cwd /no/such/place "$ID" pwd 2>&1) && fail "exec into a missing cwd succeeded: $out"
assert_contains "$out" "/no/such/place" "missing exec cwd named"
assert_contains "$out" "does not exist" "missing exec cwd reason"
[ -e "$B/rootfs/no/such/place" ] && fail "exec created its cwd"
pass "exec HOME and missing cwd"
