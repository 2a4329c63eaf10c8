#!/bin/bash
# fds of a uid-1000 task on files that became root-only (mode 0600, owner root)
# between checkpoint and restore, in the rootfs and in a bind-mounted host
# directory, read-only and read-write; and a deleted file whose directory the
# task may no longer write: each restore is refused naming the path (the task
# could not open or create them itself) and leaves nothing behind; with the
# files given back, the same image restores.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
source "$(dirname "$0")/hostile_lib.sh"
require_root

hostile_bundle fd-ro /data/secret
for c in "fd-ro /data/secret $B/rootfs/data/secret" "fd-rw /data/secret $B/rootfs/data/secret" \
    "fd-ro /shared/secret $B.shared/secret" "fd-rw /shared/secret $B.shared/secret"; do
    read -r mode path host <<<"$c"
    set_args "$B" /bin/hostilework "$mode" "$path"
    echo SECRET >"$host"
    chown 1000:1000 "$host" && chmod 0600 "$host"
    hostile_start
    chown 0:0 "$host"
    refused "$mode on root-only $path" "$path" "may not open it"
    chown 1000:1000 "$host"
    restores "$mode on $path, the task's own again"
done

# A deleted file comes back as a temp file in its directory, made by the task.
mkdir -p "$B/rootfs/data/dir" && chown 1000:1000 "$B/rootfs/data/dir"
set_args "$B" /bin/hostilework deleted /data/dir/gone
hostile_start
chown 0:0 "$B/rootfs/data/dir" && chmod 0755 "$B/rootfs/data/dir"
refused "deleted file in a directory now root's" "/data/dir/gone" "Permission denied"
[ -z "$(ls -A "$B/rootfs/data/dir")" ] || fail "the refused restore left files in /data/dir: $(ls -A "$B/rootfs/data/dir")"
chown 1000:1000 "$B/rootfs/data/dir"
restores "deleted file in the task's own directory"
