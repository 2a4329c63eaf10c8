#!/bin/bash
# cr/ipc: SysV segments attached at addresses the process chose (one twice, once read-only), of sizes that are not
# a multiple of the page size, with /proc/self/maps held open across the checkpoint; the workload
# (workloads/ipcwork.c shmaddr) reads its maps through that descriptor after the restore and checks every attachment.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
source "$(dirname "$0")/ipc_lib.sh"
require_root

ipc_roundtrip shmaddr
pass "segments at chosen addresses and odd sizes survived checkpoint and restore, /proc/self/maps still readable"
