#!/bin/bash
# cr/ipc: a POSIX queue descriptor kept open across checkpoint and restore
# (an fd kind: the queue is in the IPC section, the descriptor reopens it by
# name with its access mode); the workload receives through it afterwards.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
source "$(dirname "$0")/ipc_lib.sh"
require_root

ipc_roundtrip mqfd
pass "the POSIX queue descriptor survived checkpoint and restore"
