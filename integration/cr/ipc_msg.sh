#!/bin/bash
# cr/ipc: a SysV queue with messages of mixed types (one empty) and a lowered byte limit, and an empty queue,
# through myrt checkpoint and restore; the workload (workloads/ipcwork.c msg)
# verifies ids, keys, modes, owners and contents itself.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
source "$(dirname "$0")/ipc_lib.sh"
require_root

ipc_roundtrip msg
pass "the msg state survived checkpoint and restore"
