# Helpers for the files area's tests (sourced after ../lib.sh and cr_lib.sh).

files_bin() {
    if [ -n "${CR_FILES_WORKLOAD:-}" ] && [ -x "$CR_FILES_WORKLOAD" ]; then
        echo "$CR_FILES_WORKLOAD"
        return
    fi
    local out=$TEST_TMP/fileswork
    if [ ! -x "$out" ]; then
        command -v cc >/dev/null 2>&1 || skip "needs cc to build workloads/fileswork.c"
        cc -O2 -Wall -static -pthread -o "$out" "$INTEG_DIR/cr/workloads/fileswork.c" || fail "building fileswork"
    fi
    echo "$out"
}

# files_view PID: each fd above the stdio (0-2 are the caller's) as the
# outside sees it: number, status flags from fdinfo (O_CLOEXEC, O_ASYNC,
# O_PATH...; O_LARGEFILE masked: a restored pipe end is a reopen, which has
# it) and, for files and directories, the size, mode, owner and mtime of
# what it points to.
files_view() {
    local pid=$1 f n flags what
    for f in /proc/"$pid"/fd/*; do
        n=${f##*/}
        [ "$n" -le 2 ] && continue
        flags=$(awk '/^flags:/ {printf "%o", strtonum("0" $2) - and(strtonum("0" $2), 0100000)}' "/proc/$pid/fdinfo/$n")
        what=$(stat -L -c '%F' "$f" 2>/dev/null)
        case $what in
        "regular file" | "regular empty file" | directory | "symbolic link") what=$(stat -L -c '%F %s %a %u:%g %y' "$f") ;;
        esac
        printf '%s %s %s\n' "$n" "$flags" "$what"
    done | sort -n
}

# files_roundtrip MODE: runs `fileswork MODE` in a container, checkpoints,
# restores, compares the init's fds from outside before and after, and asks
# the workload for its verdict.
files_roundtrip() {
    local mode=$1
    local b=$TEST_TMP/bundle
    cr_bundle_bin "$b" "$(files_bin)" "$mode"
    # the workload gives its deleted file another owner: that takes CAP_CHOWN
    edit_config "$b" '.process.capabilities |= with_entries(.value = ((.value // []) + ["CAP_CHOWN"] | unique))'
    new_id ID
    run_detached "$ID" "$b"
    wait_file "$b.shared/ready" 20
    local before after
    before=$(files_view "$(state_of "$ID" pid)")
    cr_roundtrip "$ID" "$b"
    pass "$mode: checkpointed and restored"
    after=$(files_view "$(state_of "$ID" pid)")
    if [ "$before" != "$after" ]; then
        log "before:"$'\n'"$before"
        log "after:"$'\n'"$after"
        fail "$mode: the init's fds differ after restore"
    fi
    pass "$mode: the init's fds look the same from outside"
    cr_verify "$ID" "$b.shared"
    pass "$mode: the state survived checkpoint and restore"
    rt delete -f "$ID" >/dev/null 2>&1
}
