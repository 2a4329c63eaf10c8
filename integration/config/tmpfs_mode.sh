#!/bin/bash
# A tmpfs mount without mode= takes the mode of the directory it covers (as
# runc); a mode= in the options still wins; a new mount point gets tmpfs's 1777.
source "$(dirname "$0")/../lib.sh"

B=$TEST_TMP/bundle
make_bundle "$B" sh -c 'stat -c %a /covered /explicit /fresh'
mkdir -p "$B/rootfs/covered" "$B/rootfs/explicit"
chmod 0710 "$B/rootfs/covered"
chmod 0750 "$B/rootfs/explicit"
edit_config "$B" '.mounts += [
    {"destination": "/covered", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "size=1m"]},
    {"destination": "/explicit", "type": "tmpfs", "source": "tmpfs", "options": ["mode=701"]},
    {"destination": "/fresh", "type": "tmpfs", "source": "tmpfs", "options": []}]'
out=$(run_fg "$B") || fail "run: $out $(cat "$TEST_TMP"/*.err)"
assert_eq "710" "$(echo "$out" | sed -n 1p)" "tmpfs takes the covered directory's mode"
assert_eq "701" "$(echo "$out" | sed -n 2p)" "mode= of the config wins"
assert_eq "1777" "$(echo "$out" | sed -n 3p)" "tmpfs on a new mount point"
