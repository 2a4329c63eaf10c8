#!/bin/bash
# cr/ipc: POSIX queues: messages of mixed priorities, attributes and modes,
# through myrt checkpoint and restore; the workload (workloads/ipcwork.c mq)
# verifies ids, keys, modes, owners and contents itself.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
source "$(dirname "$0")/ipc_lib.sh"
require_root

ipc_roundtrip mq
pass "the mq state survived checkpoint and restore"
