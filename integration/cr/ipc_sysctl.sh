#!/bin/bash
# cr/ipc: the IPC namespace's sysctls (kernel.msgmax, msgmnb, msgmni, shmmax, shmall, shmmni, shm_rmid_forced, sem,
# fs.mqueue.msg_max, msgsize_max, msg_default, msgsize_default, queues_max) are set in the container's namespace
# (from outside: the container's /proc/sys is read-only) and read back after checkpoint and restore; the workload
# (workloads/ipcwork.c sysctl) checks each value and that they are in force (a new queue's limits).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
source "$(dirname "$0")/ipc_lib.sh"
require_root
command -v nsenter >/dev/null || skip "needs nsenter"

B=$TEST_TMP/bundle
cr_bundle_bin "$B" "$(ipc_workload)" sysctl
new_id ID
run_detached "$ID" "$B"
wait_file "$B.shared/ready" 20
PID=$(state_of "$ID" pid)
# The maxima before the defaults they bound. /proc/sys's IPC entries resolve in the writer's IPC namespace.
nsenter --ipc=/proc/$PID/ns/ipc sh -c '
    set -e
    w() { echo "$2" >"/proc/sys/$1"; }
    w fs/mqueue/msg_max 20; w fs/mqueue/msgsize_max 10000
    w fs/mqueue/msg_default 5; w fs/mqueue/msgsize_default 1000; w fs/mqueue/queues_max 77
    w kernel/msgmax 4000; w kernel/msgmnb 7000; w kernel/msgmni 50
    w kernel/shmmax 67108864; w kernel/shmall 100000; w kernel/shmmni 300; w kernel/shm_rmid_forced 1
    w kernel/sem "100 2000 50 64"' || fail "setting the container's IPC sysctls"
[ "$(cat /proc/sys/fs/mqueue/msgsize_default)" != 1000 ] || fail "the host's fs.mqueue.msgsize_default changed"
cr_roundtrip "$ID" "$B"
grep -q "IPC namespace restored" "$TEST_TMP/img.$CR_ROUND.rwork/restore.log" ||
    fail "restore.log does not mention the IPC namespace: $(cat "$TEST_TMP/img.$CR_ROUND.rwork/restore.log")"
cr_verify "$ID" "$B.shared"
pass "the IPC namespace's sysctls survived checkpoint and restore and are in force"
