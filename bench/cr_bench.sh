#!/bin/bash
# Container checkpoint/restore benchmark: containers holding 64, 256 and 1024
# MiB of touched memory (integration/cr/workloads/crwork.c "memory" mode),
# checkpointed and restored with myrt; next to each, floors measured in the
# same run (bench/cr_floor.c): for checkpoint the fastest of several ways to
# move the same bytes from a process's memory into a file on the image's file
# system, fsync included (process_vm_readv + write, vmsplice + splice, the
# process writing its own memory, process_vm_readv + O_DIRECT write); 4 KiB first touch, MADV_POPULATE_WRITE and 2 MiB THP fills plus
# reading the image for restore. Peak RSS is /usr/bin/time's "Maximum
# resident set size" of the myrt process. Restore runs twice: after the
# checkpoint (restore_ms), and again once that container is deleted
# (again_ms), in memory just freed as the THP fill's is. dump.log's phase line
# (freeze, seize, state, memory read/hand-off/wait, finish) follows each row.
# runc + CRIU checkpoints the same container next to myrt's, run by run,
# when CRIU can dump on this kernel (`criu check`); otherwise the bench says
# why and goes on without it.
#
#   bench/cr_bench.sh [MYRT] [SIZES...]     (root; default sizes 64 256 1024)
# Environment: BUILD (build dir, default build-main), WORK (scratch dir).
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$REPO/build-main}
MYRT=${1:-$BUILD/runtime/myrt}
shift || true
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(64 256 1024)
[ -x "$MYRT" ] || { echo "no myrt at $MYRT" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "needs root" >&2; exit 1; }
WORK=${WORK:-$(mktemp -d /var/tmp/myrt-crbench.XXXXXX)}
STATE=$WORK/state
ID=crbench-$$
cleanup() {
    "$MYRT" --root "$STATE" delete --force "$ID" >/dev/null 2>&1 || true
    [ -n "${KEEP:-}" ] && echo "kept $WORK" >&2 || rm -rf "$WORK"
}
trap cleanup EXIT

cc -O2 -static -pthread -o "$WORK/crwork" "$REPO/integration/cr/workloads/crwork.c"
cc -O2 -o "$WORK/cr_floor" "$REPO/bench/cr_floor.c"
B=$WORK/bundle
mkdir -p "$B/rootfs/bin" "$B/rootfs/proc" "$B/rootfs/dev" "$B/rootfs/sys" "$B/rootfs/tmp" "$B.shared"
cp /bin/busybox "$B/rootfs/bin/busybox"
cp "$WORK/crwork" "$B/rootfs/bin/crwork"
(cd "$B" && "$MYRT" spec)

rt() { "$MYRT" --root "$STATE" "$@"; }
RUNC=${RUNC:-/usr/sbin/runc}
CRIU_OK=
if [ -x "$RUNC" ] && command -v criu >/dev/null && criu check >"$WORK/criu-check" 2>&1; then
    CRIU_OK=1
else
    echo "runc + CRIU left out: criu check fails here: $(grep -m1 Error "$WORK/criu-check" 2>/dev/null || echo 'no criu/runc')" >&2
fi
# timed CMD...: runs it under /usr/bin/time; sets WALL_MS, CPU_MS (user+system, io-wq
# workers included: they are threads of the process) and PEAK_KB.
timed() {
    /usr/bin/time -f '%e %M %U %S' -o "$WORK/time" "$@" </dev/null >"$WORK/cmd.out" 2>"$WORK/cmd.err" || {
        echo "failed: $* : $(cat "$WORK/cmd.err")" >&2
        return 1
    }
    read -r secs PEAK_KB usr sys <"$WORK/time"
    WALL_MS=$(awk -v s="$secs" 'BEGIN { printf "%.0f", s * 1000 }')
    CPU_MS=$(awk -v u="$usr" -v s="$sys" 'BEGIN { printf "%.0f", (u + s) * 1000 }')
}
# check_restored: the restored workload verifies its memory (SIGUSR1) and says PASS.
check_restored() {
    rm -f "$B.shared/result"
    rt kill "$ID" USR1
    for ((i = 0; i < 1200; i++)); do [ -s "$B.shared/result" ] && break; sleep 0.05; done
    verdict=$(cat "$B.shared/result" 2>/dev/null || echo none)
    [ "$verdict" = PASS ] || echo "warning: restored memory verdict: $verdict" >&2
}
# log_ms FILE TEXT: the number of milliseconds after TEXT in a dump.log/restore.log line.
log_ms() { sed -n "s/.*$2 \([0-9.]*\) ms.*/\1/p" "$1" | tail -1; }
stat_field() { grep -o "\"$1\": *[0-9]*" "$2" | grep -o '[0-9]*$'; }

printf '%-6s %9s %9s %9s %9s %9s %9s %9s %9s | %9s %9s %9s %9s %9s\n' MiB ckpt_ms frozen_ms criu_ms restore_ms again_ms image_MiB ckptRSS_MiB rstRSS_MiB \
    floor_dump fill_4k fill_popw fill_thp read_img
for mib in "${SIZES[@]}"; do
    jq --arg m "$mib" --arg s "$B.shared" '.process.terminal = false | .process.args = ["/bin/crwork", "memory", $m]
        | .root.readonly = false
        | .mounts += [{"destination": "/shared", "type": "bind", "source": $s, "options": ["rbind", "rw"]}]' \
        "$B/config.json" >"$B/config.json.new" && mv "$B/config.json.new" "$B/config.json"
    rm -f "$B.shared/ready" "$B.shared/result"
    rt run -d --bundle "$B" "$ID" </dev/null >/dev/null 2>&1
    for ((i = 0; i < 1200; i++)); do [ -s "$B.shared/ready" ] && break; sleep 0.05; done
    IMG=$WORK/img
    rm -rf "$IMG" "$IMG.work" "$IMG.rwork" "$IMG.rwork2"
    timed "$MYRT" --root "$STATE" checkpoint --image-path "$IMG" --work-path "$IMG.work" "$ID"
    ckpt_ms=$WALL_MS ckpt_rss=$((PEAK_KB / 1024)) ckpt_cpu=$CPU_MS
    frozen_us=$(crit decode -i "$IMG.work/stats-dump" 2>/dev/null | grep -o '"frozen_time": *[0-9]*' | grep -o '[0-9]*$' || echo 0)
    img_mib=$(($(stat -c %s "$IMG/myrt.img") >> 20))
    # the checkpoint removed the container (as runc does): nothing to delete
    sync
    timed "$MYRT" --root "$STATE" restore -d --bundle "$B" --image-path "$IMG" --work-path "$IMG.rwork" "$ID"
    rst_ms=$WALL_MS rst_rss=$((PEAK_KB / 1024)) rst_cpu=$CPU_MS
    check_restored
    # Again, right after the first restored container freed its memory: the
    # conditions the THP floor runs in (it follows two fills that freed theirs).
    # On this VM memory freed a few seconds ago has been handed back to the host
    # (free page reporting) and faults in again slowly, whatever fills it.
    rt delete --force "$ID"
    rm -rf "$IMG.rwork2"
    timed "$MYRT" --root "$STATE" restore -d --bundle "$B" --image-path "$IMG" --work-path "$IMG.rwork2" "$ID"
    again_ms=$WALL_MS
    check_restored
    criu_ms=-
    if [ -n "$CRIU_OK" ]; then
        # The same bundle under runc, checkpointed by CRIU right after myrt's.
        rm -f "$B.shared/ready"
        RID=$ID-runc
        "$RUNC" --root "$WORK/runc" run -d --bundle "$B" "$RID" </dev/null >/dev/null 2>&1
        for ((i = 0; i < 1200; i++)); do [ -s "$B.shared/ready" ] && break; sleep 0.05; done
        rm -rf "$WORK/criu-img"
        if timed "$RUNC" --root "$WORK/runc" checkpoint --image-path "$WORK/criu-img" "$RID"; then criu_ms=$WALL_MS; fi
        "$RUNC" --root "$WORK/runc" delete --force "$RID" >/dev/null 2>&1 || true
    fi
    "$WORK/cr_floor" dump "$mib" "$WORK/floor.img" >"$WORK/floor.out"
    floor_dump=$(awk '$1 == "dump_floor_ms" {print $2}' "$WORK/floor.out")
    floor_cpu=$(awk '$1 == "dump_floor_cpu_ms" {printf "%.0f", $2}' "$WORK/floor.out")
    read -r f4k fpw fthp < <("$WORK/cr_floor" fill "$mib" | awk '{v[NR]=$2} END {print v[1], v[2], v[3]}')
    rd=$("$WORK/cr_floor" read "$IMG/myrt.img" | awk '{print $2}')
    rt delete --force "$ID"
    printf '%-6s %9s %9s %9s %9s %9s %9s %9s %9s | %9s %9s %9s %9s %9s\n' "$mib" "$ckpt_ms" "$((frozen_us / 1000))" "$criu_ms" "$rst_ms" \
        "$again_ms" "$img_mib" "$ckpt_rss" "$rst_rss" "$floor_dump" "$f4k" "$fpw" "$fthp" "$rd"
    # Where the time went, from the drivers' own logs, and the load it ran under.
    printf '       checkpoint: driver %s ms (memory %s ms), cpu %s ms (floor cpu %s ms); restore: driver %s ms (tasks+memory %s ms), cpu %s ms; load %s\n' \
        "$(log_ms "$IMG.work/dump.log" "checkpoint written in")" "$(log_ms "$IMG.work/dump.log" "memory in")" "$ckpt_cpu" "$floor_cpu" \
        "$(log_ms "$IMG.rwork/restore.log" "restore done in")" "$(log_ms "$IMG.rwork/restore.log" "state and memory")" "$rst_cpu" \
        "$(cut -d' ' -f1-3 /proc/loadavg)"
    echo "       $(grep -o 'phases: .*' "$IMG.work/dump.log" | tail -1)"
    echo "       floor ways: $(awk '$1 ~ /^dump_.*_ms$/ && $1 != "dump_floor_ms" {sub(/^dump_/, "", $1); sub(/_ms$/, "", $1); printf "%s %s ms, ", $1, $2}' "$WORK/floor.out")"
done
