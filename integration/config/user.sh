#!/bin/bash
# process.user: uid, gid, additionalGids and umask; env and cwd.
source "$(dirname "$0")/../lib.sh"

B=$TEST_TMP/bundle
make_bundle "$B" sh -c 'grep -E "^(Uid|Gid|Groups):" /proc/self/status; umask; pwd; echo "$FOO|$BAR"; touch /tmp/umask-probe; stat -c %a /tmp/umask-probe'
edit_config "$B" '.process.user = {"uid": 1000, "gid": 1001, "additionalGids": [10, 100], "umask": 23}   # 23 = 0o027
  | .process.cwd = "/home/user"
  | .process.env = ["PATH=/bin", "FOO=foo value", "BAR=bar=with=equals"]'
out=$(run_fg "$B") || fail "run: $out"
field() { echo "$out" | awk -v k="$1:" '$1 == k {$1 = ""; sub(/^ /, ""); print}'; }
assert_eq "1000 1000 1000 1000" "$(field Uid)" "Uid real/effective/saved/fs"
assert_eq "1001 1001 1001 1001" "$(field Gid)" "Gid real/effective/saved/fs"
assert_eq "10 100" "$(echo "$(field Groups)" | xargs -n1 | grep -vx 1001 | sort -n | xargs)" "additionalGids in Groups"
lines=$(echo "$out" | tail -4)
assert_eq "0027" "$(echo "$lines" | sed -n 1p)" "umask 027"
assert_eq "/home/user" "$(echo "$lines" | sed -n 2p)" "cwd"
assert_eq "foo value|bar=with=equals" "$(echo "$lines" | sed -n 3p)" "env values with spaces and ="
assert_eq "640" "$(echo "$lines" | sed -n 4p)" "umask applied to new files"

# a cwd that does not exist is created (runc) or refused with a message naming it
edit_config "$B" '.process.cwd = "/no/such/dir" | .process.user = {"uid": 0, "gid": 0}'
set_args "$B" pwd
new_id ID
out=$(rtc run --bundle "$B" "$ID" </dev/null 2>&1)
if [ $? = 0 ]; then assert_eq /no/such/dir "$out" "missing cwd created"; else assert_contains "$out" "/no/such/dir" "missing cwd named in the error"; fi
