#!/bin/bash
# AF_UNIX (creds): SCM_CREDENTIALS of queued messages come back: a datagram
# from an exited child of uid 1000 gid 1001 (with an fd in flight; pid 0, as
# before the checkpoint) to a bound SO_PASSCRED socket, and a stream message
# from the task itself (uid 0 gid 0).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
source "$(dirname "$0")/unix_lib.sh"
require_root
# The child changes its uid and gid: the container process gets CAP_SETUID and CAP_SETGID.
UNIX_CONFIG_EDIT='.process.capabilities |= with_entries(.value += ["CAP_SETUID", "CAP_SETGID"])'
unix_roundtrip creds
