#!/bin/bash
# hostname and domainname are set in the container's own uts namespace; the
# host's are untouched.
source "$(dirname "$0")/../lib.sh"

host_before=$(hostname)
B=$TEST_TMP/bundle
make_bundle "$B" sh -c 'hostname; cat /proc/sys/kernel/domainname'
edit_config "$B" '.hostname = "ctr-host" | .domainname = "ctr.example"'
out=$(run_fg "$B") || fail "run: $out"
assert_eq ctr-host "$(echo "$out" | sed -n 1p)" "hostname inside"
strict assert_eq ctr.example "$(echo "$out" | sed -n 2p)" "domainname inside"
assert_eq "$host_before" "$(hostname)" "host's hostname untouched"
