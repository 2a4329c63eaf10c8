#!/bin/bash
# UDP sockets v4 and v6, bound, autobound and connected, with queued
# datagrams from several senders: contents, order and source addresses
# survive, and the connected sockets keep their peers.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
source "$(dirname "$0")/inet_lib.sh"
require_root
inet_roundtrip udp
