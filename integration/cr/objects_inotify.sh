#!/bin/bash
# objectswork inotify (workloads/objectswork.c) in a container: set up, checkpoint,
# restore, and the workload verifies its own state.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
source "$(dirname "$0")/objects_lib.sh"
require_root

objects_roundtrip inotify
