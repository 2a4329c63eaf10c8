#!/bin/bash
# Unix sockets of a uid-1000 task are bound, connected and refilled with the
# task's credentials:
# - a host "daemon" listening at the path of the container's listener (in a
#   bind-mounted directory) is neither unlinked nor replaced: refused by name;
# - a dead socket file at that path that is root's, not the task's, is not
#   removed: refused by name;
# - the path's directory made root's (0755): the task cannot bind there, and
#   neither does the restore;
# - a datagram in flight comes back with SCM_CREDENTIALS of the task's uid and
#   gid (not root's) and no pid of the host;
# each refusal leaves nothing behind, and the same image restores once the
# path is the task's again.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
source "$(dirname "$0")/hostile_lib.sh"
require_root

hostile_bundle listen /shared/run/sock
RUN=$B.shared/run
mkdir -p "$RUN" && chown 1000:1000 "$RUN"
hostile_start
[ -S "$RUN/sock" ] || fail "the old container left no stale socket file at $RUN/sock"

# host_daemon [SETPRIV_ARGS...]: the host's daemon (the workload binary, run
# on the host) listening at $RUN/sock; sets DAEMON and INO.
host_daemon() {
    rm -f "$RUN/sock"
    "$@" "$(hostile_workload)" listen "$RUN/sock" </dev/null >/dev/null 2>&1 &
    DAEMON=$!
    track_pid "$DAEMON"
    for ((i = 0; i < 100; i++)); do [ -S "$RUN/sock" ] && break; sleep 0.05; done
    [ -S "$RUN/sock" ] || fail "the host daemon did not bind $RUN/sock"
    INO=$(stat -c %i "$RUN/sock")
}
daemon_untouched() {
    pid_alive "$DAEMON" || fail "$1: the host daemon died"
    assert_eq "$INO" "$(stat -c %i "$RUN/sock")" "$1: the host daemon's socket file is still its own"
}

host_daemon
refused "bind over a live socket of a root daemon" "/shared/run/sock" "socket file of uid 0"
daemon_untouched "root daemon"
kill "$DAEMON" && wait "$DAEMON" 2>/dev/null
# Its socket file stays behind, dead but root's.
refused "bind over a dead socket file of root's" "/shared/run/sock" "socket file of uid 0"
assert_eq "$INO" "$(stat -c %i "$RUN/sock")" "root's dead socket file is not removed"

# A daemon of the task's own uid: its socket is live, so it is not the stale one.
if command -v setpriv >/dev/null; then
    host_daemon setpriv --reuid 1000 --regid 1000 --clear-groups
    refused "bind over a live socket of a uid-1000 daemon" "/shared/run/sock" "not a dead socket file"
    daemon_untouched "uid-1000 daemon"
    kill "$DAEMON" && wait "$DAEMON" 2>/dev/null
else
    log "no setpriv: the uid-1000 daemon case is left out"
fi
rm -f "$RUN/sock"

chown 0:0 "$RUN" && chmod 0755 "$RUN"
refused "bind in a directory now root's" "/shared/run/sock" "Permission denied"
[ ! -e "$RUN/sock" ] || fail "the refused restore left a socket file in root's directory"
chown 1000:1000 "$RUN"
restores "listener in the task's own directory"

# In-flight datagram with SO_PASSCRED on the receiver.
set_args "$B" /bin/hostilework dgram /shared/run/dg
hostile_start
restores "a datagram in flight carries the task's own credentials"
