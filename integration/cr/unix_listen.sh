#!/bin/bash
# AF_UNIX (listen): a listener with two accepted connections (data in flight) and three pending ones, accepted in order after restore.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
source "$(dirname "$0")/unix_lib.sh"
require_root
unix_roundtrip listen
