#!/bin/bash
# exec as runc's: any failure of its own exits 255; the process gets its own
# session; --cap reaches bounding, effective and permitted only; --cgroup puts
# it in a sub-cgroup (PATH for every hierarchy, CONTROLLER:PATH for one); --debug
# writes debug lines.
# And a --log file that cannot be opened is an error.
source "$(dirname "$0")/../lib.sh"

B=$TEST_TMP/bundle
make_bundle "$B" sleep 600
new_id ID
run_detached "$ID" "$B"
init=$(state_of "$ID" pid)

rt exec "$ID" /no/such/binary </dev/null >/dev/null 2>"$TEST_TMP/err"
assert_eq 255 "$?" "exec of a missing binary exits 255"
assert_contains "$(cat "$TEST_TMP/err")" "/no/such/binary" "the error names the binary"
rt exec no-such-container true </dev/null >/dev/null 2>&1
assert_eq 255 "$?" "exec into a missing container exits 255"
rt exec "$ID" sh -c 'exit 3' </dev/null
assert_eq 3 "$?" "the process's own exit status still comes through"
out=$(rt --debug exec "$ID" echo hi </dev/null 2>"$TEST_TMP/debug.err") || fail "--debug exec: $(cat "$TEST_TMP/debug.err")"
assert_eq hi "$out" "--debug exec: the process's output unchanged"
assert_contains "$(cat "$TEST_TMP/debug.err")" "joined the cgroup of container $ID" "--debug exec writes debug lines"

# /proc/self/stat fields 5 and 6: process group and session, as the container sees them
stat=$(rtc exec "$ID" cat /proc/self/stat </dev/null) || fail "exec cat: $stat"
read -r _ _ _ _ pgrp sid _ <<<"$stat"
[ "$pgrp" != 0 ] && [ "$sid" != 0 ] || fail "exec'd process has pgrp $pgrp session $sid inside (outside the container's pid namespace)"
pass "exec'd process leads its own session inside the container (pgrp $pgrp, session $sid)"

# CAP_SYS_PTRACE (bit 19) is not in the bundle's sets
status=$(rtc exec --cap CAP_SYS_PTRACE "$ID" cat /proc/self/status </dev/null) || fail "exec --cap: $status"
has_bit() { local hex; hex=$(awk -v k="$1:" '$1 == k {print $2}' <<<"$status"); (( (0x$hex >> 19) & 1 )); }
for set in CapEff CapPrm CapBnd; do has_bit $set || fail "--cap CAP_SYS_PTRACE missing from $set"; done
pass "--cap adds to effective, permitted and bounding"
for set in CapInh CapAmb; do has_bit $set && fail "--cap CAP_SYS_PTRACE added to $set, which runc leaves alone"; done
pass "--cap leaves inheritable and ambient alone"

# --cgroup: make sub-cgroups of the container's in each hierarchy it has
subs=()
while IFS=: read -r hier ctrls path; do
    if [ "$hier" = 0 ]; then mnt=$(awk '$3 == "cgroup2" {print $2; exit}' /proc/mounts)
    else mnt=$(awk -v c="${ctrls%%,*}" '$3 == "cgroup" { n = split($4, o, ","); for (i = 1; i <= n; i++) if (o[i] == c) { print $2; exit } }' /proc/mounts)
    fi
    [ -n "$mnt" ] && [ -d "$mnt$path" ] || continue
    case "$path" in */"$ID"*) ;; *) continue ;; esac   # hierarchies the container has its own cgroup in
    for s in sub other; do
        mkdir -p "$mnt$path/$s" && subs+=("$mnt$path/$s")
        # a v1 cpuset cgroup takes no process until it has cpus and mems (as with runc)
        for f in cpuset.cpus cpuset.mems; do [ -e "$mnt$path/$f" ] && cat "$mnt$path/$f" >"$mnt$path/$s/$f"; done
    done
done </proc/"$init"/cgroup
((${#subs[@]})) || skip "the container has no cgroup of its own here"
on_exit "for d in ${subs[*]}; do rmdir \"\$d\" 2>/dev/null; done"

cg=$(rtc exec --cgroup sub "$ID" cat /proc/self/cgroup </dev/null) || fail "exec --cgroup sub: $cg"
while IFS=: read -r hier ctrls path; do
    case "$path" in *"$ID"*) assert_match "$path" "/sub\$" "--cgroup sub: hierarchy ${ctrls:-unified}" ;; esac
done <<<"$cg"
if [ -d "$(cgroup_dir "$init" pids)/other" ]; then
    cg=$(rtc exec --cgroup sub --cgroup pids:other "$ID" cat /proc/self/cgroup </dev/null) || fail "exec --cgroup pids:other: $cg"
    assert_match "$(grep -E '^[0-9]+:([^:]*,)?pids(,[^:]*)?:' <<<"$cg")" "/other\$" "--cgroup pids:other places the pids hierarchy"
    assert_match "$(grep -E '^[0-9]+:([^:]*,)?memory(,[^:]*)?:' <<<"$cg")" "/sub\$" "the other hierarchies follow the bare PATH"
fi
rt exec --cgroup missing "$ID" true </dev/null >/dev/null 2>"$TEST_TMP/err"
assert_eq 255 "$?" "--cgroup to a sub-cgroup that does not exist exits 255"
assert_contains "$(cat "$TEST_TMP/err")" "missing" "the error names the sub-cgroup"
rt exec --cgroup ../escape "$ID" true </dev/null >/dev/null 2>"$TEST_TMP/err"
assert_eq 255 "$?" "--cgroup with .. is refused"
rt exec --cgroup nosuchctl:sub "$ID" true </dev/null >/dev/null 2>"$TEST_TMP/err"
assert_eq 255 "$?" "--cgroup naming a controller the container lacks is refused"
assert_contains "$(cat "$TEST_TMP/err")" "nosuchctl" "the error names the controller"

# --log PATH that cannot be opened
out=$("$MYRT" --root "$STATE" --log "$TEST_TMP/no/such/dir/log" state "$ID" 2>&1)
assert_eq 1 "$?" "--log into a missing directory exits 1"
assert_contains "$out" "$TEST_TMP/no/such/dir/log" "the error names the log path"

rt kill "$ID" KILL
wait_status "$ID" stopped
for d in "${subs[@]}"; do rmdir "$d" 2>/dev/null; done
rt delete "$ID" || fail "delete after exec --cgroup"
pass "delete after the sub-cgroups are gone"
