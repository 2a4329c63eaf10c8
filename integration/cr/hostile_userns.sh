#!/bin/bash
# User-namespace bundles (issue 23): the ids of an image mean something only
# under the uid/gid maps its container had, which the image records (a real
# user-namespace image against other maps: integration.cr.userns). An image
# forged to say its container had a user namespace is refused by name for the
# maps it does not hold, before any container is made, whatever the bundle;
# the unedited image restores into the bundle without a user namespace.
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
refused "a forged user namespace into a bundle without one" "the uid map is not valid" "it has no ranges"

cp "$B/config.json" "$TEST_TMP/config.plain"
edit_config "$B" '.linux.namespaces += [{"type": "user"}]
  | .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
  | .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
refused "a forged user namespace into a user-namespace bundle" "the uid map is not valid" "it has no ranges"
original
refused "the unedited image into a user-namespace bundle" "namespaces, the bundle creates"

cp "$TEST_TMP/config.plain" "$B/config.json"
restores "the unedited image into its own bundle"
