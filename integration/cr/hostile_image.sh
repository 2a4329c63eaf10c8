#!/bin/bash
# Forged images grant nothing (issue 23): a container whose bundle runs uid
# 1000 with no_new_privs, a seccomp filter, Podman's default bounding set
# (CAP_SETUID and CAP_SETGID in it) and no other capability is checkpointed;
# then image_forge (helpers/image_forge.cpp) changes one field of the real
# image and recomputes every checksum, as an attacker would. Each forged image
# is refused with a message naming the field, or restores harmlessly, and a
# refused restore leaves nothing: no container, no process, no cgroup.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
require_root
FORGE=${IMAGE_FORGE:-}
[ -x "$FORGE" ] || skip "needs the image_forge helper (IMAGE_FORGE, built by CMake)"

B=$TEST_TMP/bundle
cr_bundle "$B" memory 4
chown 1000:1000 "$B.shared"
podman_bounding='["CAP_CHOWN","CAP_DAC_OVERRIDE","CAP_FOWNER","CAP_FSETID","CAP_KILL","CAP_NET_BIND_SERVICE",
  "CAP_SETFCAP","CAP_SETGID","CAP_SETPCAP","CAP_SETUID","CAP_SYS_CHROOT"]'
edit_config "$B" '.process.user = {"uid": 1000, "gid": 1000, "additionalGids": [1000, 2000]}
  | .process.noNewPrivileges = true
  | .process.capabilities = {"bounding": $b, "effective": [], "permitted": [], "inheritable": [], "ambient": []}
  | .process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 1024, "hard": 1024},
                        {"type": "RLIMIT_MEMLOCK", "soft": 65536, "hard": 65536}]
  | .linux.resources.pids = {"limit": 20}
  | .linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"],
      "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}' \
    --argjson b "$podman_bounding"
new_id ID
run_detached "$ID" "$B"
wait_file "$B.shared/ready" 20
pid=$(state_of "$ID" pid)
assert_eq "1000" "$(awk '/^Uid:/ {print $2}' "/proc/$pid/status")" "the workload runs as uid 1000"
cgdir=$(cgroup_dir "$pid" pids)
rootfs_id=$(stat -L -c %d:%i "/proc/$pid/root")
IMG=$TEST_TMP/img
cr_checkpoint "$ID" "$IMG" || fail "checkpoint: $(cat "$TEST_TMP/ckpt.err")"
rt delete "$ID" >/dev/null 2>&1 || rt delete --force "$ID" || fail "delete after checkpoint"
"$FORGE" show "$IMG/myrt.img" >"$TEST_TMP/show.json" || fail "image_forge show"
assert_eq 1 "$(jq '.processes | length' "$TEST_TMP/show.json")" "one process in the image"

nothing_left() {
    [ -z "$(rt list -q 2>/dev/null | grep -x "$ID")" ] || fail "$1: container $ID listed"
    [ -d "$cgdir" ] && fail "$1: cgroup $cgdir left behind"
    local p left=""
    for p in /proc/[0-9]*; do
        [ "$(stat -L -c %d:%i "$p/root" 2>/dev/null)" = "$rootfs_id" ] && left="$left ${p#/proc/}"
    done
    [ -z "$left" ] || fail "$1: processes left in the container's root file system:$left"
    return 0
}

# refused NAME MESSAGE EDIT...: the forged image's restore fails, its error
# holds MESSAGE, and nothing is left behind.
CASES=0
refused() {
    local name=$1 msg=$2
    shift 2
    local dir=$TEST_TMP/forged
    rm -rf "$dir" "$dir.rwork"
    mkdir -p "$dir"
    "$FORGE" edit "$IMG/myrt.img" "$dir/myrt.img" "$@" 2>"$TEST_TMP/forge.err" || fail "$name: image_forge: $(cat "$TEST_TMP/forge.err")"
    cr_restore "$ID" "$B" "$dir" && fail "$name: the forged image ($*) was restored"
    assert_contains "$(cat "$TEST_TMP/restore.err")" "$msg" "$name: the refusal names the field"
    nothing_left "$name"
    CASES=$((CASES + 1))
    log "$name refused: $(tail -1 "$TEST_TMP/restore.err")"
}

# harmless NAME CHECK EDIT...: the forged image restores; CHECK (a command, run
# with the container's pid in $pid) holds; then the container is removed.
harmless() {
    local name=$1 check=$2
    shift 2
    local dir=$TEST_TMP/forged
    rm -rf "$dir" "$dir.rwork"
    mkdir -p "$dir"
    "$FORGE" edit "$IMG/myrt.img" "$dir/myrt.img" "$@" 2>"$TEST_TMP/forge.err" || fail "$name: image_forge: $(cat "$TEST_TMP/forge.err")"
    cr_restore "$ID" "$B" "$dir" || fail "$name: restore of a harmless edit ($*): $(cat "$TEST_TMP/restore.err")"
    pid=$(state_of "$ID" pid)
    eval "$check" || fail "$name: $check does not hold after the restore"
    cr_verify "$ID" "$B.shared"
    rt delete --force "$ID" || fail "$name: delete"
    nothing_left "$name (after delete)"
    CASES=$((CASES + 1))
    log "$name restored harmlessly"
}

bounding=$(jq '.processes[0].cap_bounding' "$TEST_TMP/show.json")
all_caps=0x1ffffffffff

# ---- credentials: ids, groups, capability sets, securebits (all new) ----
refused uid-root "real uid 0 is not the bundle's uid 1000" 'process[0].uid=0'
refused gid-root "real gid 0 is not the bundle's gid 1000" 'process[0].gid=0'
refused saved-uid "saved uid 0 is not the bundle's uid 1000" 'process[0].uid[2]=0'
refused fs-uid "filesystem uid 0 is not the bundle's uid 1000" 'process[0].uid[3]=0'
refused effective-gid "effective gid 0 is not the bundle's gid 1000" 'process[0].gid[1]=0'
refused groups "supplementary group 0, which is not in the bundle's process.user.additionalGids" 'process[0].groups=0,6,42'
refused group-42 "supplementary group 42" 'process[0].groups=1000,42'
refused effective-caps "effective capabilities CAP_CHOWN" "process[0].cap_effective=$bounding"
refused permitted-caps "permitted capabilities CAP_CHOWN" "process[0].cap_permitted=$bounding"
refused inheritable-caps "inheritable capabilities CAP_SETUID" 'process[0].cap_inheritable=0x80'
refused ambient-caps "ambient capabilities CAP_KILL" \
    'process[0].cap_ambient=0x20'
refused uid-root-all-caps "real uid 0" 'process[0].uid=0' 'process[0].gid=0' "process[0].cap_effective=$bounding" \
    "process[0].cap_permitted=$bounding"
refused bounding-caps "bounding capabilities" "process[0].cap_bounding=$all_caps"
refused securebits "securebits 0x14" 'process[0].securebits=0x14'
# ---- resource limits (new) ----
refused nofile-hard "RLIMIT_NOFILE hard limit 1048576 is above the bundle's 1024" \
    'process[0].rlimit[RLIMIT_NOFILE].max=1048576' 'process[0].rlimit[RLIMIT_NOFILE].cur=1048576'
refused memlock-hard "RLIMIT_MEMLOCK hard limit unlimited is above the bundle's 65536" \
    'process[0].rlimit[RLIMIT_MEMLOCK].max=inf'
refused soft-over-hard "RLIMIT_NOFILE soft limit 2048 is above its hard limit 1024" \
    'process[0].rlimit[RLIMIT_NOFILE].cur=2048'
# ---- memory (new) ----
refused map-zero "below vm.mmap_min_addr" 'process[0].vma.add=0x0-0x1000'
refused mlock "bytes of mlocked memory, beyond its RLIMIT_MEMLOCK of 65536" \
    'process[0].vma.add=0x300000000000-0x300010000000:locked'
refused pids-limit "more than the bundle's pids limit of 20" 'process[0].threads.dup=30'
refused max-map-count "VMAs count $(( $(jq ".processes[0].vmas | length" "$TEST_TMP/show.json") + 70000 )) is over the limit of $(cat /proc/sys/vm/max_map_count)" 'process[0].vma.spray=70000'
# ---- refusals already in place before issue 23 ----
refused no-new-privs "lacks no_new_privs, which the bundle sets" 'process[0].no_new_privs=0'
refused seccomp-removed "has no seccomp filter, but the bundle's config.json installs one" 'process[0].seccomp=none'
refused seccomp-replaced "its first seccomp filter (1 instructions) is not the one the bundle's config.json builds" \
    'process[0].seccomp[0]=allow'
refused pages-outside "lie outside every VMA of the process" 'process[0].pages.add=0x500000000000:1'
refused huge-groups "groups count $(( $(jq ".processes[0].groups | length" "$TEST_TMP/show.json") + 70000 )) is over the limit of 65536" 'process[0].groups.dup=70000'
refused strict-seccomp "seccomp filters but mode 1" 'process[0].seccomp_mode=1'
pass "$CASES forged images refused by name, nothing left behind"

# ---- harmless: what the process could have done itself ----
harmless soft-up-to-hard '[ "$(awk "/^Max core file size/ {print \$5}" /proc/$pid/limits)" = "$(awk "/^Max core file size/ {print \$6}" /proc/$pid/limits)" ]' \
    'process[0].rlimit[RLIMIT_CORE].cur=hard'
harmless keep-caps-bit 'true' 'process[0].securebits=0x10'
harmless own-group '[ "$(awk "/^Groups:/ {print \$2}" /proc/$pid/status)" = 2000 ]' 'process[0].groups=2000'
harmless hostname '[ "$(nsenter -t $pid -u cat /proc/sys/kernel/hostname)" = forged ]' 'ns.hostname=forged'
pass "$CASES cases in all: harmless edits restore as the process itself could have made them"

# The unedited image still restores and the workload checks its memory.
cr_restore "$ID" "$B" "$IMG" || fail "restore of the intact image: $(cat "$TEST_TMP/restore.err")"
cr_verify "$ID" "$B.shared"
pass "the intact image restores"
