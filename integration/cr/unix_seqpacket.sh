#!/bin/bash
# AF_UNIX (seqpacket): seqpacket message boundaries on a socketpair and on an accepted connection.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
source "$(dirname "$0")/unix_lib.sh"
require_root
unix_roundtrip seqpacket
