#!/bin/bash
# cr/ipc: SysV segments shared by three processes (one read-only), a sparse one, a deleted-but-attached one and an unattached one,
# through myrt checkpoint and restore; the workload (workloads/ipcwork.c shm)
# verifies ids, keys, modes, owners and contents itself.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
source "$(dirname "$0")/ipc_lib.sh"
require_root

ipc_roundtrip shm
pass "the shm state survived checkpoint and restore"
