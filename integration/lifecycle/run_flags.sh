#!/bin/bash
# The create/run and exec flags callers send: --no-pivot, --no-new-keyring,
# --preserve-fds, --keep; exec --cap, --no-new-privs, --preserve-fds;
# the global --systemd-cgroup where systemd is not running.
source "$(dirname "$0")/../lib.sh"

B=$TEST_TMP/bundle
make_bundle "$B" sh -c 'readlink /proc/1/exe; ls /bin/busybox'
new_id ID
out=$(rtc run --no-pivot --bundle "$B" "$ID" </dev/null 2>&1) || fail "run --no-pivot: $out"
assert_eq "$(printf '/bin/busybox\n/bin/busybox')" "$out" "--no-pivot runs in the rootfs"
new_id ID
out=$(rtc run --no-new-keyring --bundle "$B" "$ID" </dev/null 2>&1) || fail "run --no-new-keyring: $out"
pass "--no-new-keyring accepted"

# --preserve-fds N: fds 3..3+N-1 reach the process
echo fd3-data >"$TEST_TMP/fd3"; echo fd4-data >"$TEST_TMP/fd4"
set_args "$B" sh -c 'cat <&3; cat <&4; [ -e /proc/self/fd/5 ] && echo fd5-leaked || echo fd5-closed'
new_id ID
out=$(rtc run --preserve-fds 2 --bundle "$B" "$ID" </dev/null 3<"$TEST_TMP/fd3" 4<"$TEST_TMP/fd4" 5<"$TEST_TMP/fd4" 2>&1) || fail "run --preserve-fds: $out"
assert_eq "$(printf 'fd3-data\nfd4-data\nfd5-closed')" "$out" "--preserve-fds 2 passes fds 3 and 4 only"

# --keep: the stopped container stays until deleted
set_args "$B" true
new_id ID
rt run --keep --bundle "$B" "$ID" </dev/null >/dev/null 2>&1 || fail "run --keep"
assert_eq stopped "$(state_of "$ID" status)" "--keep leaves a stopped container"
rt delete "$ID" || fail "delete after --keep"

# exec flags
set_args "$B" sleep 600
new_id ID
run_detached "$ID" "$B"
# the default spec has no CAP_CHOWN (bit 0) in the effective set; --cap adds it
base=$(rtc exec "$ID" awk '/^CapEff/ {print $2}' /proc/self/status </dev/null)
withcap=$(rtc exec --cap CAP_CHOWN "$ID" awk '/^CapEff/ {print $2}' /proc/self/status </dev/null) || fail "exec --cap"
assert_eq 1 "$(( (0x$withcap & 1) ))" "exec --cap CAP_CHOWN adds bit 0 to CapEff"
assert_eq "$(( 0x$base | 1 ))" "$(( 0x$withcap ))" "exec --cap adds only that capability"
out=$(rtc exec --no-new-privs "$ID" awk '/^NoNewPrivs/ {print $2}' /proc/self/status </dev/null) || fail "exec --no-new-privs"
assert_eq 1 "$out" "exec --no-new-privs"
out=$(rtc exec --preserve-fds 1 "$ID" sh -c 'cat <&3' </dev/null 3<"$TEST_TMP/fd3" 2>&1) || fail "exec --preserve-fds: $out"
assert_eq fd3-data "$out" "exec --preserve-fds 1"
rt kill "$ID" KILL; wait_status "$ID" stopped; rt delete "$ID"

# --systemd-cgroup where systemd is not pid 1: a clear error, nothing left behind
if [ "$(cat /proc/1/comm)" != systemd ]; then
    edit_config "$B" '.linux.cgroupsPath = "system.slice:myrt-integ:x"'
    new_id ID
    out=$(rtc --systemd-cgroup run --bundle "$B" "$ID" </dev/null 2>&1) && fail "--systemd-cgroup without systemd succeeded"
    assert_contains "$out" systemd "--systemd-cgroup error names systemd"
    out=$(rtc state "$ID" 2>&1) && fail "--systemd-cgroup failure left state behind"
    pass "nothing left after the --systemd-cgroup failure"
fi
