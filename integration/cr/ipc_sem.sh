#!/bin/bash
# cr/ipc: SysV semaphore sets with values, one in use by a child blocked in semop,
# through myrt checkpoint and restore; the workload (workloads/ipcwork.c sem)
# verifies ids, keys, modes, owners and contents itself.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
source "$(dirname "$0")/ipc_lib.sh"
require_root

ipc_roundtrip sem
pass "the sem state survived checkpoint and restore"
