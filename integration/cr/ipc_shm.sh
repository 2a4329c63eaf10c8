#!/bin/bash
# cr/ipc: SysV segments shared by three processes (one read-only), a sparse one, a deleted-but-attached one and an unattached one,
# through myrt checkpoint and restore; the workload (workloads/ipcwork.c shm)
# verifies ids, keys, modes, owners and contents itself.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
source "$(dirname "$0")/ipc_lib.sh"
require_root

ipc_roundtrip shm
# Segment A was SHM_LOCKed when the container's RLIMIT_MEMLOCK allowed; the workload checked it is still locked.
if [ "$(cat "$B.shared/shm_locked")" = 1 ]; then pass "SHM_LOCK kept"; else pass "SHM_LOCK not tried: the container could not lock segment A"; fi
pass "the shm state survived checkpoint and restore"
