#!/bin/bash
# User-namespace bundles (issue 23): the ids of an image mean something only
# under the uid/gid maps its container had, which an image does not record
# (a checkpoint of a user-namespace container is refused, issue 20). An image
# forged to say its container had a user namespace is refused by name, both
# by a bundle without one (the namespaces differ) and by a bundle with one
# (the maps cannot be compared), before any container is made; the unedited
# image restores into the bundle without a user namespace.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cr_lib.sh"
source "$(dirname "$0")/hostile_lib.sh"
require_root
command -v jq >/dev/null || skip "needs jq"

hostile_bundle cwd /data
hostile_start
flags=$(image_show '.ns.flags')
[ "$flags" != null ] || fail "the image has no namespaces section"
forged userns-flag "ns.flags=$((flags | 64))"
refused "a forged user namespace into a bundle without one" "the image's container had its own" "user" \
    "namespaces, the bundle creates"

cp "$B/config.json" "$TEST_TMP/config.plain"
edit_config "$B" '.linux.namespaces += [{"type": "user"}]
  | .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
  | .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
refused "a forged user namespace into a user-namespace bundle" "had its own user namespace" \
    "does not record its uid and gid maps"
original
refused "the unedited image into a user-namespace bundle" "namespaces, the bundle creates"

cp "$TEST_TMP/config.plain" "$B/config.json"
restores "the unedited image into its own bundle"
