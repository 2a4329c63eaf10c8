#!/bin/bash
# AF_UNIX: workloads/unixwork.c paths (see its header).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
source "$(dirname "$0")/unix_lib.sh"
require_root
unix_roundtrip paths
