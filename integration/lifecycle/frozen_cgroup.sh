#!/bin/bash
# A container whose cgroup exists and is frozen (v1 freezer or v2
# cgroup.freeze) is refused with a clear error, at once: its init would stop
# in that cgroup and the runtime hang waiting for it (runc's "runc run
# (cgroup is frozen)"). Thawed, the same cgroup runs the container.
source "$(dirname "$0")/../lib.sh"
require_root

cgpath="/myrt-integ-frozen-$$"
on_exit "for d in /sys/fs/cgroup/*$cgpath /sys/fs/cgroup$cgpath; do [ -d \"\$d\" ] && rmdir \"\$d\"; done 2>/dev/null; true"
frozen=()
v1=$(awk '$3 == "cgroup" && $4 ~ /(^|,)freezer(,|$)/ {print $2; exit}' /proc/mounts)
if [ -n "$v1" ]; then
    mkdir -p "$v1$cgpath" && echo FROZEN >"$v1$cgpath/freezer.state" || fail "freeze $v1$cgpath"
    frozen+=("$v1$cgpath/freezer.state THAWED")
fi
v2=$(awk '$3 == "cgroup2" {print $2; exit}' /proc/mounts)
if [ -n "$v2" ]; then
    mkdir -p "$v2$cgpath" && echo 1 >"$v2$cgpath/cgroup.freeze" || fail "freeze $v2$cgpath"
    frozen+=("$v2$cgpath/cgroup.freeze 0")
fi
((${#frozen[@]})) || skip "no freezer hierarchy"

B=$TEST_TMP/bundle
make_bundle "$B" sleep 600
edit_config "$B" '.linux.cgroupsPath = $p' --arg p "$cgpath"
new_id ID
rc=0
out=$(timeout 30 "$MYRT" --root "$STATE" run -d --bundle "$B" "$ID" </dev/null 2>&1) || rc=$?
[ "$rc" = 124 ] && fail "run into a frozen cgroup hung (killed after 30 s)"
[ "$rc" != 0 ] || fail "run into a frozen cgroup succeeded"
assert_contains "$out" "container's cgroup unexpectedly frozen: $cgpath" "the error names the cgroup"
[ -e "$STATE/$ID" ] && fail "a refused run left state behind"
for f in "${frozen[@]}"; do
    [ -e "${f% *}" ] || fail "the refused run removed the caller's cgroup $(dirname "${f% *}")"
done
pass "run into a frozen cgroup refused at once: $out"

for f in "${frozen[@]}"; do
    mkdir -p "$(dirname "${f% *}")"
    echo "${f#* }" >"${f% *}" || fail "thaw ${f% *}"
done
run_detached "$ID" "$B"
assert_eq running "$(state_of "$ID" status)" "status in the thawed cgroup"
pass "the thawed cgroup runs the container"
rt delete --force "$ID" >/dev/null 2>&1
