#!/bin/bash
# The state store under parallel commands: racing creates of one id leave
# exactly one container; creates of different ids all succeed; `state` stays
# valid JSON while another command changes the container.
source "$(dirname "$0")/../lib.sh"

B=$TEST_TMP/bundle
make_bundle "$B" sleep 600

# processes_in_rootfs: pids whose root is the bundle's rootfs (a bind mount
# keeps the directory's device and inode)
processes_in_rootfs() {
    local want p
    want=$(stat -c %d:%i "$B/rootfs")
    for p in $(ls /proc | grep -E '^[0-9]+$'); do
        [ "$(stat -L -c %d:%i /proc/$p/root 2>/dev/null)" = "$want" ] && echo "$p"
    done
}

racing_creates() {
    local ok=0 i pids=()
    for i in 1 2 3 4 5 6; do
        rt create --bundle "$B" "$ID" </dev/null >"$TEST_TMP/race.$i" 2>&1 &
        pids+=($!)
    done
    for i in "${!pids[@]}"; do wait "${pids[$i]}" && ok=$((ok + 1)); done
    assert_eq 1 "$ok" "exactly one of six racing creates of one id succeeds"
    assert_eq "$ID" "$(rtc list -q)" "one container in the state root"
    assert_eq created "$(state_of "$ID" status)" "the winner is created"
    pid_alive "$(state_of "$ID" pid)" || fail "the winner's process is not alive"
    sleep 0.5
    assert_eq 1 "$(processes_in_rootfs | wc -l)" "one process in the rootfs (losers cleaned up)"
    rt delete --force "$ID" || fail "delete --force"
}
new_id ID
# runc 1.1 takes no lock on create: racing creates can destroy each other's state
strict racing_creates
rt delete --force "$ID" >/dev/null 2>&1
# whatever the race left (runc can orphan an init whose state was removed) goes by pid
for p in $(processes_in_rootfs); do kill -KILL "$p"; done

ids=()
for i in 1 2 3 4 5 6; do
    rt create --bundle "$B" "$ID" </dev/null >"$TEST_TMP/race.$i" 2>&1 &
    pids+=($!)
done
ok=0
for i in "${!pids[@]}"; do wait "${pids[$i]}" && ok=$((ok + 1)); done
assert_eq 1 "$ok" "exactly one of six racing creates of one id succeeds"
assert_eq "$ID" "$(rtc list -q)" "one container in the state root"
assert_eq created "$(state_of "$ID" status)" "the winner is created"
pid_alive "$(state_of "$ID" pid)" || fail "the winner's process is not alive"
# the losers left no init process behind: only the winner's has the bundle's
# rootfs as its root (a bind mount keeps the directory's device and inode)
sleep 0.5
want=$(stat -c %d:%i "$B/rootfs")
n=0
for p in $(ls /proc | grep -E '^[0-9]+$'); do
    [ "$(stat -L -c %d:%i /proc/$p/root 2>/dev/null)" = "$want" ] && n=$((n + 1))
done
assert_eq 1 "$n" "one process in the rootfs (losers cleaned up)"
rt delete --force "$ID" || fail "delete --force"

ids=()
for i in 1 2 3 4; do new_id id; ids+=("$id"); done
pids=()
for id in "${ids[@]}"; do
    rt run -d --bundle "$B" "$id" </dev/null >/dev/null 2>"$TEST_TMP/$id.err" &
    pids+=($!)
done
for i in "${!pids[@]}"; do wait "${pids[$i]}" || fail "parallel run -d ${ids[$i]}: $(cat "$TEST_TMP/${ids[$i]}.err")"; done
for id in "${ids[@]}"; do assert_eq running "$(state_of "$id" status)" "$id running after parallel run -d"; done

# state while pause/resume flip the container
id=${ids[0]}
( for i in $(seq 10); do rt pause "$id"; rt resume "$id"; done ) >/dev/null 2>&1 &
flipper=$!
track_pid "$flipper"
for i in $(seq 30); do
    s=$(rtc state "$id" 2>&1) || fail "state failed during pause/resume: $s"
    echo "$s" | jq -e '.status == "running" or .status == "paused"' >/dev/null || fail "state during pause/resume: $s"
done
wait "$flipper"
pass "state is always valid JSON with running or paused while another command works"

pids=()
for id in "${ids[@]}"; do rt delete --force "$id" >/dev/null 2>&1 & pids+=($!); done
for p in "${pids[@]}"; do wait "$p" || fail "parallel delete --force"; done
assert_eq "" "$(rtc list -q)" "parallel deletes leave nothing"
