#!/bin/bash
# AF_UNIX (fds): file descriptors in flight (SCM_RIGHTS) come back in their
# messages: a file with its offset, a pipe read end with its data, a socket,
# three in one stream message between plain ones (boundaries kept); a socket
# sent over itself (held by no task); a pipe write end over seqpacket; two
# fds of one description in a datagram. The workload checks them after restore.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
source "$(dirname "$0")/unix_lib.sh"
require_root
unix_roundtrip fds
