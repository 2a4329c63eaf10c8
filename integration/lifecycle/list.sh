#!/bin/bash
# list: table, -f json, -q.
source "$(dirname "$0")/../lib.sh"

B=$TEST_TMP/bundle
make_bundle "$B" sleep 600
mkdir -p "$STATE"   # a missing --root is an error, as runc's (integration.lifecycle.runc_compat)
out=$(rtc list 2>&1) || fail "list on an empty root: $out"
assert_contains "$out" ID "empty list prints the header"
assert_eq "" "$(rtc list -q)" "empty list -q prints nothing"

new_id A; new_id C
run_detached "$A" "$B"
rt create --bundle "$B" "$C" </dev/null >/dev/null 2>&1 || fail "create $C"

table=$(rtc list) || fail "list"
head=$(echo "$table" | head -1)
for col in ID PID STATUS BUNDLE CREATED; do assert_contains "$head" "$col" "table header has $col"; done
assert_match "$(echo "$table" | grep "^$A ")" "^$A +[0-9]+ +running +$B " "table row of the running container"
assert_match "$(echo "$table" | grep "^$C ")" "^$C +[0-9]+ +created +$B " "table row of the created container"

json=$(rtc list -f json) || fail "list -f json"
assert_eq 2 "$(echo "$json" | jq length)" "json list has two entries"
assert_eq running "$(echo "$json" | jq -r --arg i "$A" '.[] | select(.id == $i) | .status')" "json status of $A"
assert_eq created "$(echo "$json" | jq -r --arg i "$C" '.[] | select(.id == $i) | .status')" "json status of $C"
assert_eq "$(state_of "$A" pid)" "$(echo "$json" | jq -r --arg i "$A" '.[] | select(.id == $i) | .pid')" "json pid of $A"
assert_eq "$B" "$(echo "$json" | jq -r --arg i "$A" '.[] | select(.id == $i) | .bundle')" "json bundle of $A"
json2=$(rtc list --format=json) || fail "list --format=json"
assert_eq 2 "$(echo "$json2" | jq length)" "--format=json form"

assert_eq "$(printf '%s\n' "$A" "$C" | sort)" "$(rtc list -q | sort)" "list -q prints the ids only"

# runc's field order, in `list -f json` and `state`: annotations only when set
keys=$(echo "$json" | jq -c --arg i "$A" '.[] | select(.id == $i) | keys_unsorted')
assert_eq '["ociVersion","id","pid","status","bundle","rootfs","created","owner"]' "$keys" "list json fields in runc's order"
assert_eq '["ociVersion","id","pid","status","bundle","rootfs","created","owner"]' \
    "$(rtc state "$A" | jq -c keys_unsorted)" "state fields in runc's order"
B2=$TEST_TMP/bundle2
make_bundle "$B2" sleep 600
edit_config "$B2" '.annotations = {"org.example.k": "v"}'
new_id N
run_detached "$N" "$B2"
st=$(rtc state "$N") || fail "state $N"
assert_eq '["ociVersion","id","pid","status","bundle","rootfs","created","annotations","owner"]' \
    "$(echo "$st" | jq -c keys_unsorted)" "state with annotations puts them before owner"
assert_eq v "$(echo "$st" | jq -r '.annotations["org.example.k"]')" "state shows the annotation"
assert_eq '["ociVersion","id","pid","status","bundle","rootfs","created","annotations","owner"]' \
    "$(rtc list -f json | jq -c --arg i "$N" '.[] | select(.id == $i) | keys_unsorted')" "list entry with annotations in runc's order"
