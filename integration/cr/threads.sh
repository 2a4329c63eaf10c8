#!/bin/bash
# The "threads" workload (workloads/crwork.c) sets up its state, is checkpointed
# and restored, and then verifies that state itself (PASS/FAIL in /shared/result).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
require_root

B=$TEST_TMP/bundle
cr_bundle "$B" threads
cr_workload_roundtrip "$B" "the threads state survived checkpoint and restore"
