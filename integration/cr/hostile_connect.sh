#!/bin/bash
# Connecting to a root-only socket (issue 23): a uid-1000 task holds a
# datagram socket connected to a host daemon's socket in a directory
# bind-mounted at the same path in the container (the name the daemon bound
# is the one the restore connects to; checkpointed with --ext-unix-sk). When that directory becomes
# root-only (0700) before the restore, the task could not connect there
# itself, so the restore is refused naming the socket and leaves nothing
# behind (it used to leave the socket unconnected and go on); a forged image
# that points the socket at root's socket in another root-only directory is
# refused the same way; given back, the image restores connected. A datagram
# in flight whose sender is forged to a name in that root-only directory
# touches nothing there: a gone sender's stand-in is bound in a private root
# of the restore's (a tmpfs nothing else reaches), its name only a string.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
source "$(dirname "$0")/hostile_lib.sh"
require_root

SOCKS=$TEST_TMP/socks
RUN=$SOCKS/run
hostile_bundle connect "$RUN/dsock"
mkdir -p "$RUN" && chmod 0755 "$TEST_TMP" "$SOCKS" "$RUN"
add_bind "$B" "$SOCKS" "$SOCKS"

# host_daemon DIR: root's datagram socket at DIR/dsock (the workload binary,
# run on the host, binds it), writable by all; sets DAEMON.
host_daemon() {
    rm -f "$1/dsock"
    "$(hostile_workload)" dgram "$1/dsock" </dev/null >/dev/null 2>&1 &
    DAEMON=$!
    track_pid "$DAEMON"
    for ((i = 0; i < 100; i++)); do [ -S "$1/dsock" ] && break; sleep 0.05; done
    [ -S "$1/dsock" ] || fail "the host daemon did not bind $1/dsock"
    chmod 0777 "$1/dsock"
}
host_daemon "$RUN"
hostile_start --ext-unix-sk

chmod 0700 "$RUN"
refused "connect to a socket in a directory now root-only" "$RUN/dsock" "may not connect" "Permission denied"
pid_alive "$DAEMON" || fail "the host daemon died"

# Forged: the same socket pointed at another root-only socket the task never reached.
chmod 0755 "$RUN"
mkdir -p "$SOCKS/rootonly" && chmod 0700 "$SOCKS/rootonly"
host_daemon "$SOCKS/rootonly"
forged root-only-peer "unix_socket[0].peer_name=$SOCKS/rootonly/dsock"
refused "a forged peer in a root-only directory" "$SOCKS/rootonly/dsock" "may not connect"

original
restores "connected again once the directory is open to the task"

# A datagram in flight from a forged, gone sender named in root's directory.
MINE=$SOCKS/mine
mkdir -p "$MINE" && chown 1000:1000 "$MINE"
set_args "$B" /bin/hostilework dgram "$MINE/dg"
hostile_start
forged root-only-sender 'unix_message[0].sender_id=0' "unix_message[0].sender_name=$SOCKS/rootonly/sender"
cr_restore "$ID" "$B" "$IMG" || fail "a datagram from a sender forged into a root-only directory: $(cat "$TEST_TMP/restore.err")"
[ ! -e "$SOCKS/rootonly/sender" ] || fail "the restore made a socket in root's directory"
pass "a datagram from a sender forged into a root-only directory: restored, nothing made in root's directory"
rt delete --force "$ID" >/dev/null 2>&1
original
restores "the unedited datagram image"
