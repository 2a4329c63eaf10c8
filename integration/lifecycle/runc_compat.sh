#!/bin/bash
# Differences runc's own bats suite (tests/integration) found, each checked the
# way that suite checks it.
source "$(dirname "$0")/../lib.sh"
require_root

B=$TEST_TMP/bundle
make_bundle "$B" sh -c 'echo one; echo two'

# run with process.terminal and no --console-socket: the pty is proxied to our
# stdout with ONLCR cleared (runc's tty.go), so lines end in "\n", not "\r\n".
edit_config "$B" '.process.terminal = true'
for i in 1 2 3; do
    out=$(run_fg "$B" | od -An -c | tr -s ' ')
    assert_eq " o n e \n t w o \n" "$out" "run -t (proxied terminal), try $i: output keeps plain newlines"
done
edit_config "$B" '.process.terminal = false | .process.args = ["sleep", "600"]'
new_id ID
run_detached "$ID" "$B"
out=$(rt exec -t "$ID" sh -c 'echo a; echo b' </dev/null 2>&1 | od -An -c | tr -s ' ')
assert_eq " a \n b \n" "$out" "exec -t (proxied terminal): output keeps plain newlines"
rt delete -f "$ID" >/dev/null 2>&1

# an execve that fails after start (the interpreter of a script is missing):
# one line on stderr in runc's wording, nothing else.
printf '#!/mmnnttbb foo bar\nsh\n' >"$B/rootfs/run.sh"
chmod +x "$B/rootfs/run.sh"
set_args "$B" /run.sh
new_id ID
out=$(rtc run --bundle "$B" "$ID" </dev/null 2>&1)
rc=$?
[ "$rc" != 0 ] || fail "run of a script with a missing interpreter succeeded"
assert_eq "exec /run.sh: no such file or directory" "$out" "execve failure: runc's single line"
