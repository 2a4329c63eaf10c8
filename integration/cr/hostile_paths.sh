#!/bin/bash
# Forged paths, devices, FIFOs, sockets and tmpfs entries (issue 23): a real
# image of a uid-1000 container is edited with image_forge (checksums
# recomputed), so that its records name host paths, "..", symlinks out of the
# root, device nodes and tmpfs owners and modes the task could not have made.
# Each is refused naming the path or field, nothing is left behind and no host
# file is touched; where the path resolves inside the container root only
# (what the task itself could reach) the image restores harmlessly; the
# unedited image restores.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
source "$(dirname "$0")/hostile_lib.sh"
require_root
command -v jq >/dev/null || skip "needs jq"

# A host file any uid may read: only the container root keeps it from the task.
HOSTF=$TEST_TMP/host/secret
mkdir -p "$TEST_TMP/host" && chmod 0755 "$TEST_TMP" "$TEST_TMP/host"
echo HOSTFILE >"$HOSTF" && chmod 0644 "$HOSTF"
host_untouched() { [ "$(cat "$HOSTF")" = HOSTFILE ] || fail "$1: the host file changed"; }

# ---- file records: fd paths ----
hostile_bundle fd-ro /data/secret
echo SECRET >"$B/rootfs/data/secret" && chown 1000:1000 "$B/rootfs/data/secret"
hostile_start
f=$(image_show '[.file[].path] | index("/data/secret")')
[ "$f" != null ] || fail "no file record for /data/secret in the image"

forged dotdot "file[$f].path=/data/../../../../../..$HOSTF"
refused "fd path with .." "/data/../../" '".." component' "not one a checkpoint writes"
forged relative "file[$f].path=data/secret"
refused "relative fd path" "data/secret" "not an absolute path"
forged host-path "file[$f].path=$HOSTF"
refused "fd on a host path absent from the container root" "$HOSTF" "No such file"
host_untouched "host path"
# The same path present in the container root: the task's own file opens, never the host's.
mkdir -p "$B/rootfs$(dirname "$HOSTF")" && echo SECRET >"$B/rootfs$HOSTF" && chown 1000:1000 "$B/rootfs$HOSTF"
restores "fd on a host path resolves inside the container root (it reads the container's file)"
rm -f "$B/rootfs$HOSTF"
# Symlinks out of the root: absolute and relative ones resolve inside it.
ln -s "$(dirname "$HOSTF")" "$B/rootfs/data/abslink"
ln -s "../../../../../../../../..$(dirname "$HOSTF")" "$B/rootfs/data/rellink"
ln -s "$HOSTF" "$B/rootfs/data/final"
forged abs-symlink "file[$f].path=/data/abslink/secret"
refused "fd through an absolute symlink to a host directory" "/data/abslink/secret" "No such file"
forged rel-symlink "file[$f].path=/data/rellink/secret"
refused "fd through a relative symlink climbing out of the root" "/data/rellink/secret" "No such file"
forged final-symlink "file[$f].path=/data/final"
refused "fd on a symlink to a host file" "/data/final" "is a file of type 120000"
host_untouched "symlinks"

# ---- devices ----
forged dev-mem "file[$f].kind=3" "file[$f].mode=0x21b6" "file[$f].rdev=0x101" "file[$f].path=/dev/mem"
refused "an fd on /dev/mem (1:1)" "/dev/mem" "character device 0x101 is not one a container may get back"
forged dev-kmsg "file[$f].kind=3" "file[$f].mode=0x21b6" "file[$f].rdev=0x10b" "file[$f].path=/dev/kmsg"
refused "an fd on /dev/kmsg (1:11)" "character device 0x10b"
forged block "file[$f].mode=0x61b0" "file[$f].path=/dev/sda"
refused "an fd on a block device" "a regular file with mode 60660"
forged null-is-a-file "file[$f].kind=3" "file[$f].mode=0x21b6" "file[$f].rdev=0x103"
refused "a regular file claimed as /dev/null" "/data/secret inside the container root is a file of type 100000, the image had type 20000"
mknod "$B/rootfs/data/mem" c 1 1 && chown 1000:1000 "$B/rootfs/data/mem"
forged planted-node "file[$f].kind=3" "file[$f].mode=0x21b6" "file[$f].rdev=0x103" "file[$f].path=/data/mem"
refused "a node of /dev/mem planted in the rootfs, claimed as /dev/null" "/data/mem inside the container root is device 0x101, the image had 0x103"
rm -f "$B/rootfs/data/mem"

# ---- the process section: cwd, root, mappings ----
forged cwd-dotdot 'process[0].cwd=/data/../..'
refused "cwd with .." "working directory /data/../.." '".." component'
forged cwd-relative 'process[0].cwd=data'
refused "relative cwd" "working directory data" "not an absolute path"
forged root-dotdot 'process[0].root=/../..'
refused "root with .." "its root /../.." '".." component'
k=$(image_show '[.processes[0].vmas[].path] | index("/bin/hostilework")')
[ "$k" != null ] || fail "no mapping of /bin/hostilework in the image"
forged map-dotdot "process[0].vma[$k].path=/bin/../../../..$HOSTF"
refused "a mapping with .." "mapping at" '".." component'
forged map-double-slash "process[0].vma[$k].path=/bin//hostilework"
refused "a mapping with //" "/bin//hostilework" "empty component"
host_untouched "process section"
original
restores "the unedited fd image"

# ---- a named FIFO ----
mkfifo -m 0666 "$TEST_TMP/host/fifo"
set_args "$B" /bin/hostilework fifo /data/fifo
rm -f "$B/rootfs/data/fifo"
hostile_start
f=$(image_show '[.file[].path] | index("/data/fifo")')
[ "$f" != null ] || fail "no file record for /data/fifo in the image"
forged fifo-host "file[$f].path=$TEST_TMP/host/fifo"
refused "a FIFO at a host path" "$TEST_TMP/host/fifo" "No such file"
forged fifo-dotdot "file[$f].path=/data/../../../..$TEST_TMP/host/fifo"
refused "a FIFO path with .." '".." component'
[ -p "$TEST_TMP/host/fifo" ] || fail "the host FIFO is gone"
original
restores "the unedited FIFO image"

# ---- a bound socket ----
mkdir -p "$TEST_TMP/host/run" && chown 1000:1000 "$TEST_TMP/host/run"
set_args "$B" /bin/hostilework listen /data/sock
rm -f "$B/rootfs/data/sock"
hostile_start
forged sock-host "unix_socket[0].name=$TEST_TMP/host/run/sock"
refused "a listener bound at a host path" "$TEST_TMP/host/run/sock"
[ -z "$(ls -A "$TEST_TMP/host/run")" ] || fail "the refused restore made a socket on the host: $(ls -A "$TEST_TMP/host/run")"
original
restores "the unedited socket image"

# ---- tmpfs entries ----
edit_config "$B" '.mounts += [{"destination": "/scratch", "type": "tmpfs", "source": "tmpfs", "options": ["nodev"]}]'
set_args "$B" /bin/hostilework tmpfs-file /scratch/tool
hostile_start
t=$(image_show '[.tmpfs[].path] | index("tool")')
[ "$t" != null ] || fail "no tmpfs entry for /scratch/tool in the image"
forged setuid-root "tmpfs[$t].uid=0" "tmpfs[$t].mode=04755"
refused "a setuid-root file in the tmpfs" "tmpfs entry" "field uid is 0"
forged setgid-root "tmpfs[$t].gid=0" "tmpfs[$t].mode=02755"
refused "a setgid file of group 0 in the tmpfs" "field gid is 0"
forged tmpfs-dotdot "tmpfs[$t].path=../../etc/passwd"
refused "a tmpfs entry with .." '".." component'
forged tmpfs-absolute "tmpfs[$t].path=$HOSTF"
refused "a tmpfs entry at an absolute path" "is not a relative path"
forged tmpfs-mount-root "tmpfs[$t].mount=/"
refused "tmpfs contents for / (not a tmpfs of the bundle)" "not a tmpfs mount of the bundle"
forged tmpfs-mount-host "tmpfs[$t].mount=$TEST_TMP/host"
refused "tmpfs contents for a host directory" "not a tmpfs mount of the bundle"
host_untouched "tmpfs"
# Setuid on its own file is what the task can do itself.
forged setuid-own "tmpfs[$t].mode=04755"
restores "a setuid bit on the task's own tmpfs file"
original
restores "the unedited tmpfs image"
