#!/bin/bash
# A working directory that became root-only (0700) before the restore: the
# task may not enter it, so the restore is refused naming it and leaves nothing
# behind; given back, the same image restores with that cwd.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
source "$(dirname "$0")/hostile_lib.sh"
require_root

hostile_bundle cwd /data/cdir
mkdir -p "$B/rootfs/data/cdir" && chown 1000:1000 "$B/rootfs/data/cdir"
hostile_start
chown 0:0 "$B/rootfs/data/cdir" && chmod 0700 "$B/rootfs/data/cdir"
refused "cwd in a root-only directory" "working directory /data/cdir" "Permission denied"
chown 1000:1000 "$B/rootfs/data/cdir"
restores "cwd in the task's own directory"
