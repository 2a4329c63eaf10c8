#!/bin/bash
# A MAP_SHARED writable mapping (with pages written into it) of a file that
# became root-only before the restore: the task could not open the file
# read-write, so the restore is refused naming the file, nothing is left
# behind and the file is unchanged; given back, the same image restores.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
source "$(dirname "$0")/hostile_lib.sh"
require_root

hostile_bundle map /data/mapped
for c in "/data/mapped $B/rootfs/data/mapped" "/shared/mapped $B.shared/mapped"; do
    read -r path host <<<"$c"
    set_args "$B" /bin/hostilework map "$path"
    head -c 4096 /dev/zero >"$host"
    chown 1000:1000 "$host" && chmod 0600 "$host"
    hostile_start
    chown 0:0 "$host"
    printf 'ROOT!!' | dd of="$host" conv=notrunc status=none
    refused "shared writable mapping of root-only $path" "$path" "shared and writable" "may not open it"
    assert_eq "ROOT!!" "$(head -c 6 "$host")" "the root-only $path is untouched by the refused restore"
    chown 1000:1000 "$host"
    printf 'MAPPED' | dd of="$host" conv=notrunc status=none  # what the task wrote there
    restores "shared writable mapping of $path, the task's own again"
done
