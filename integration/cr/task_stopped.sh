#!/bin/bash
# A child stopped with SIGSTOP is still stopped after restore and runs on after SIGCONT (workloads/taskwork.c).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
require_root

B=$TEST_TMP/bundle
cr_bundle_bin "$B" "${CR_TASK_WORKLOAD:-}" stopped
cr_workload_roundtrip "$B" "the stopped child came back stopped and resumes on SIGCONT"
