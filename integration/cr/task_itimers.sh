#!/bin/bash
# setitimer timers (ITIMER_REAL firing, ITIMER_VIRTUAL/PROF with an hour left) keep their intervals and go on counting after checkpoint and restore (workloads/taskwork.c).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
require_root

B=$TEST_TMP/bundle
cr_bundle_bin "$B" "${CR_TASK_WORKLOAD:-}" itimers
cr_workload_roundtrip "$B" "itimers kept their intervals and values and go on counting"
