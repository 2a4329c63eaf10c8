#!/bin/bash
# linux.rootfsPropagation: every value runs, and the container's root carries
# the asked propagation; a shared mount above the rootfs does not break
# pivot_root, and nothing the container mounts reaches the runtime's mounts.
# The whole test runs in a private mount namespace of its own, so the shared
# mount it makes (and anything a broken runtime leaks) never touches the host.
if [ -z "${MYRT_PROPAGATION_NS:-}" ]; then
    exec unshare -m --propagation private env MYRT_PROPAGATION_NS=1 bash "$0" "$@"
fi
source "$(dirname "$0")/../lib.sh"

# The rootfs sits on a tmpfs that is shared in this namespace: the case
# where pivot_root fails unless the runtime makes the parent unshared first.
top=$TEST_TMP/shared
mkdir -p "$top"
mount -t tmpfs -o size=64m tmpfs "$top" || fail "tmpfs for the shared parent"
mount --make-shared "$top" || fail "make $top shared"
on_exit "umount -l '$top'"
B=$top/bundle
make_bundle "$B" cat /proc/self/mountinfo
# Mounts at or below the shared tmpfs in this namespace: a container mount that
# propagated back would land there (counting the whole table would also count
# what tests running alongside mount and unmount).
mounts_under_top() { awk -v t="$top" '$5 == t || index($5, t "/") == 1' /proc/self/mountinfo | wc -l; }
before=$(mounts_under_top)

# optional fields (shared:N, master:N, unbindable) of the mount at $2 in mountinfo $1
tags_of() { echo "$1" | awk -v d="$2" '$5 == d { t = ""; for (i = 7; $i != "-"; i++) t = t " " $i; print t; exit }'; }

for p in private rprivate slave rslave shared rshared unbindable runbindable ""; do
    if [ -n "$p" ]; then
        edit_config "$B" '.linux.rootfsPropagation = $p' --arg p "$p"
    else
        edit_config "$B" 'del(.linux.rootfsPropagation)'
    fi
    mi=$(run_fg "$B") || fail "run with rootfsPropagation \"$p\": $(cat "$TEST_TMP"/*.err)"
    root=$(tags_of "$mi" /)
    proc=$(tags_of "$mi" /proc)
    case $p in
        shared | rshared) assert_match "$root" 'shared:[0-9]+' "rootfsPropagation $p: the container's root is shared" ;;
        unbindable | runbindable) assert_match "$root" 'unbindable' "rootfsPropagation $p: the container's root is unbindable" ;;
        slave | rslave | "") assert_match "$root" 'master:[0-9]+' "rootfsPropagation '$p': the container's root is a slave of the shared parent" ;;
        private | rprivate) assert_eq "" "$root" "rootfsPropagation $p: the container's root is private" ;;
    esac
    case $p in
        runbindable) assert_match "$proc" 'unbindable' "runbindable reaches the submounts (/proc)" ;;
        unbindable) assert_not_contains "$proc" 'unbindable' "unbindable stays on the root mount" ;;
        rshared) assert_match "$proc" 'shared:[0-9]+' "rshared reaches the submounts (/proc)" ;;
    esac
    # no peer of the shared tmpfs received the container's mounts
    assert_eq "$before" "$(mounts_under_top)" "rootfsPropagation '$p': no mount reached the runtime's namespace"
done
