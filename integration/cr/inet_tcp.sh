#!/bin/bash
# Established TCP connections with --tcp-established (TCP_REPAIR), both
# ends in the container over loopback v4 and v6: unread data both ways and a
# full send queue (sent and unsent bytes); every byte is checked in order
# after restore, then the connections carry more.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
source "$(dirname "$0")/inet_lib.sh"
require_root
INET_RESTORE_FLAGS=(--tcp-established)
inet_roundtrip tcp --tcp-established
pass "queues: $(cat "$B.shared/sizes")"
