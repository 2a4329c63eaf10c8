#!/bin/bash
# POSIX timers (timer_create: per-process and per-thread signals, SIGEV_NONE) come back with their ids, intervals and remaining time, and keep firing (workloads/taskwork.c).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
require_root

B=$TEST_TMP/bundle
cr_bundle_bin "$B" "${CR_TASK_WORKLOAD:-}" posix_timers
cr_workload_roundtrip "$B" "POSIX timers kept ids, intervals, remaining time and keep firing"
