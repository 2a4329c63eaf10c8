#!/bin/bash
# Ptys opened inside the container (workloads/ttywork.c ptys): four of them,
# one on a second devpts instance, with termios, window sizes, lock, packet
# and exclusive modes, a child session's controlling terminal and its
# foreground group, and unread data both ways. The checkpoint leaves every
# byte in place (--leave-running round first), the restore brings it all back.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
require_root

B=$TEST_TMP/bundle
cr_bundle_bin "$B" "$CR_TTY_WORKLOAD" ptys
edit_config "$B" '.mounts += [{"destination": "/dev/pts2", "type": "devpts", "source": "devpts",
    "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"]}]'
new_id ID
run_detached "$ID" "$B"
wait_file "$B.shared/ready" 20
grep -q READY "$B.shared/ready" || fail "workload setup: $(cat "$B.shared/result" 2>/dev/null)"

# A checkpoint that leaves the container running must not eat the unread data.
cr_checkpoint "$ID" "$TEST_TMP/img.lr" --leave-running || fail "checkpoint --leave-running: $(cat "$TEST_TMP/ckpt.err")"
pass "checkpoint --leave-running"

cr_roundtrip "$ID" "$B"
pass "checkpointed and restored"
cr_verify "$ID" "$B.shared"
pass "ptys: indexes, termios, window sizes, modes, controlling terminal and unread data survived"
