#!/bin/bash
# An inotify watch on a directory that became root-only (0700) before the
# restore: inotify_add_watch needs read permission, the restore is refused
# naming the directory and leaves nothing behind; given back, the same image
# restores and the watch still reports events.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
source "$(dirname "$0")/hostile_lib.sh"
require_root

hostile_bundle watch /data/wdir
mkdir -p "$B/rootfs/data/wdir" && chown 1000:1000 "$B/rootfs/data/wdir"
hostile_start
chown 0:0 "$B/rootfs/data/wdir" && chmod 0700 "$B/rootfs/data/wdir"
refused "inotify watch on a root-only directory" "/data/wdir" "Permission denied"
chown 1000:1000 "$B/rootfs/data/wdir"
restores "inotify watch on the task's own directory"
