#!/bin/bash
# rlimits (/proc/self/limits), noNewPrivileges (NoNewPrivs), oomScoreAdj.
source "$(dirname "$0")/../lib.sh"

B=$TEST_TMP/bundle
make_bundle "$B" sh -c 'grep -E "^Max (open files|processes|core file size)" /proc/self/limits; ulimit -n; grep NoNewPrivs /proc/self/status; cat /proc/self/oom_score_adj'
# root here lacks CAP_SYS_RESOURCE: only lowering hard limits is possible
edit_config "$B" '.process.rlimits = [
    {"type": "RLIMIT_NOFILE", "soft": 123, "hard": 456},
    {"type": "RLIMIT_NPROC", "soft": 300, "hard": 400},
    {"type": "RLIMIT_CORE", "soft": 0, "hard": 0}]
  | .process.noNewPrivileges = true
  | .process.oomScoreAdj = 543'
out=$(run_fg "$B") || fail "run: $out"
assert_match "$(echo "$out" | grep '^Max open files')" '^Max open files +123 +456 +files' "RLIMIT_NOFILE"
assert_match "$(echo "$out" | grep '^Max processes')" '^Max processes +300 +400 +processes' "RLIMIT_NPROC"
assert_match "$(echo "$out" | grep '^Max core file size')" '^Max core file size +0 +0 +bytes' "RLIMIT_CORE"
assert_eq 123 "$(echo "$out" | sed -n 4p)" "ulimit -n"
assert_match "$(echo "$out" | grep NoNewPrivs)" '^NoNewPrivs:[[:space:]]+1$' "noNewPrivileges true"
assert_eq 543 "$(echo "$out" | tail -1)" "oomScoreAdj"

edit_config "$B" '.process.noNewPrivileges = false | del(.process.oomScoreAdj)'
out=$(run_fg "$B") || fail "run: $out"
assert_match "$(echo "$out" | grep NoNewPrivs)" '^NoNewPrivs:[[:space:]]+0$' "noNewPrivileges false"
assert_eq "$(cat /proc/self/oom_score_adj)" "$(echo "$out" | tail -1)" "oom_score_adj inherited when unset"

edit_config "$B" '.process.rlimits = [{"type": "RLIMIT_BOGUS", "soft": 1, "hard": 1}]'
new_id ID
out=$(rtc run --bundle "$B" "$ID" </dev/null 2>&1) && fail "unknown rlimit accepted"
assert_contains "$out" "RLIMIT_BOGUS" "unknown rlimit named in the error"
