#!/bin/bash
# /dev/tty after restore (workloads/ttywork.c ctty): a child session leader
# whose controlling terminal is a pty, and a member of its session holding
# /dev/tty open. After restore both open /dev/tty and get the pty, and the
# pty still names the leader's session (before/after compared from outside).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
require_root

B=$TEST_TMP/bundle
cr_bundle_bin "$B" "$CR_TTY_WORKLOAD" ctty
new_id ID
run_detached "$ID" "$B"
wait_file "$B.shared/ready" 20
grep -q READY "$B.shared/ready" || fail "workload setup: $(cat "$B.shared/result" 2>/dev/null)"
# The session's terminal as ps sees it (field 7 of /proc/PID/stat: tty_nr), per process.
ttys() {
    local pid=$1 p out=""
    for p in $(cat /proc/$pid/task/$pid/children) ; do
        out+="$(awk '{print $7}' /proc/$p/stat) "
        for q in $(cat /proc/$p/task/$p/children); do out+="$(awk '{print $7}' /proc/$q/stat) "; done
    done
    echo "$out"
}
before=$(ttys "$(state_of "$ID" pid)")
case "$before" in 0\ *|*\ 0\ *|"") fail "before the checkpoint a process has no controlling tty: $before" ;; esac

cr_roundtrip "$ID" "$B"
pass "checkpointed and restored"
after=$(ttys "$(state_of "$ID" pid)")
assert_eq "$before" "$after" "tty_nr of the leader and its child"
cr_verify "$ID" "$B.shared"
pass "/dev/tty opens in the session leader and its child after restore, and is their pty"
