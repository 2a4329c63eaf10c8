#!/bin/bash
# AF_UNIX: sockets nobody is connected to (unconnected seqpacket, bound or not; a datagram socket holding datagrams
# from senders that closed since), and a socket file chmod'ed and chown'ed after bind: its mode and owner are kept.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
source "$(dirname "$0")/unix_lib.sh"
require_root
# The socket file's owner is changed from the host (the container may not chown) before the checkpoint.
UNIX_BEFORE_CHECKPOINT='chown 1234:4321 "$B/rootfs/tmp/owned.sock"'
unix_roundtrip loose
