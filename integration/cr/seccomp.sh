#!/bin/bash
# The "seccomp" workload (workloads/crwork.c) sets up its state, is checkpointed
# and restored, and then verifies that state itself (PASS/FAIL in /shared/result).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
require_root

B=$TEST_TMP/bundle
cr_bundle "$B" seccomp
cr_workload_roundtrip "$B" "the seccomp state survived checkpoint and restore"
