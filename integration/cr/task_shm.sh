#!/bin/bash
# A file in /dev/shm and a POSIX shm_open object mapped MAP_SHARED keep their contents, and the mapping stays the object's (workloads/taskwork.c).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
require_root

B=$TEST_TMP/bundle
cr_bundle_bin "$B" "${CR_TASK_WORKLOAD:-}" shm
cr_workload_roundtrip "$B" "/dev/shm file and shm object kept, mapping still shared with the object"
