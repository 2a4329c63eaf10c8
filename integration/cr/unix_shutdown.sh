#!/bin/bash
# AF_UNIX (shutdown): shut down for write, read and both, with data before EOF.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
source "$(dirname "$0")/unix_lib.sh"
require_root
unix_roundtrip shutdown
