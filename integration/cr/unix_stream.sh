#!/bin/bash
# AF_UNIX (stream): stream socketpair, path and abstract connections: data both ways, names, peer names, options.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
source "$(dirname "$0")/unix_lib.sh"
require_root
unix_roundtrip stream
