#!/bin/bash
# AF_UNIX (talk): a server process and a client process talking over a path socket go on talking after restore.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
source "$(dirname "$0")/unix_lib.sh"
require_root
unix_roundtrip talk
