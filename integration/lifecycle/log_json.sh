#!/bin/bash
# --log FILE --log-format json: an error is written as JSON lines with level,
# msg and an RFC3339 time (containerd reports the last "error" line). The error
# also reaches stderr. --log-format text writes a readable line.
source "$(dirname "$0")/../lib.sh"

L=$TEST_TMP/log.json
out=$(rtc --log "$L" --log-format json start no-such-ctr 2>&1) && fail "start of an unknown id succeeded"
assert_contains "$out" "does not exist" "error on stderr too"
[ -s "$L" ] || fail "no log written to $L"
while IFS= read -r line; do
    echo "$line" | jq -e 'type == "object" and has("level") and has("msg") and has("time")' >/dev/null ||
        fail "log line is not a JSON object with level/msg/time: $line"
done <"$L"
pass "every log line is JSON with level, msg, time"
last_error=$(jq -r 'select(.level == "error") | .msg' "$L" | tail -1)
assert_contains "$last_error" "does not exist" "last error line carries the message"
t=$(jq -r 'select(.level == "error") | .time' "$L" | tail -1)
assert_match "$t" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$' "time is RFC3339"

# the caller's forms: --log-format=json before the subcommand, appending to the file
rt --log-format=json --log="$L" state no-such-ctr >/dev/null 2>&1
assert_eq 2 "$(jq -r 'select(.level == "error") | .msg' "$L" | wc -l)" "--flag=value forms append a second error line"

# text format
T=$TEST_TMP/log.txt
rt --log "$T" --log-format text state no-such-ctr >/dev/null 2>&1
assert_contains "$(cat "$T")" "does not exist" "text log has the message"
if jq -e . "$T" >/dev/null 2>&1; then fail "text log is JSON"; fi
pass "text log is not JSON"
