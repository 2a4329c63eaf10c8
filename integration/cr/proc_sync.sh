#!/bin/bash
# Threads blocked at the checkpoint in pthread_join, condition variables,
# FUTEX_WAIT/FUTEX_WAIT_BITSET (with and without timeout), a robust and a PI
# mutex, and one parked in a signal handler on its sigaltstack: after restore
# each completes its next synchronisation (procwork sync checks it itself,
# with deadlines, so a lost wake-up fails instead of hanging).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
require_root

B=$TEST_TMP/bundle
cr_bundle_bin "$B" "${CR_PROC_WORKLOAD:-}" sync
cr_workload_roundtrip "$B" "every waiting thread completed its synchronisation after restore"
