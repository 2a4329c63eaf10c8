#!/bin/bash
# AF_UNIX (dgram): datagram boundaries, sender addresses of three senders to one unconnected socket, a socketpair, a self-connected and a connected socket.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
source "$(dirname "$0")/unix_lib.sh"
require_root
unix_roundtrip dgram
