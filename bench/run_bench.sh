#!/bin/bash
# run_bench.sh [MYRT] [N]
#
# Start-up cost of `run` of /bin/true (busybox true): the runtime under test
# (MYRT, default ./build/runtime/myrt from the repository root) against runc on
# the same bundle, plus the floor any runtime sits on: a bare
# `unshare --fork --pid --mount --uts --ipc --net chroot ROOTFS /bin/true`.
# The three are measured in turn within each round (so load changes hit all
# three alike), N rounds (default 50, or $BENCH_N), after 3 warm-up rounds.
# Each runtime gets its own private --root. Prints the medians (and min/p90)
# and the ratios myrt/runc (goal <= 0.30) and myrt/floor (goal <= 1.5).
#
# Environment: RUNC (default /usr/sbin/runc), BUSYBOX (default /bin/busybox),
# BENCH_N, BENCH_WARMUP (default 3), BENCH_RUN_TIMEOUT (seconds per run, default 30).
set -u
set -o pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
MYRT=${1:-${MYRT:-$repo/build/runtime/myrt}}
N=${2:-${BENCH_N:-50}}
WARMUP=${BENCH_WARMUP:-3}
RUNC=${RUNC:-/usr/sbin/runc}
RUN_TIMEOUT=${BENCH_RUN_TIMEOUT:-30}
BUSYBOX=${BUSYBOX:-/bin/busybox}

die() { echo "run_bench: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root (containers and namespaces)"
case "$MYRT" in /*) ;; *) MYRT=$PWD/$MYRT ;; esac
[ -x "$MYRT" ] || die "runtime under test $MYRT is not executable (build it, or pass its path as the first argument)"
[ -x "$RUNC" ] || die "reference runtime $RUNC is not executable (set RUNC)"
[ -x "$BUSYBOX" ] || die "$BUSYBOX missing (Debian package busybox-static)"
[[ "$N" =~ ^[1-9][0-9]*$ ]] || die "N must be a positive integer, got '$N'"
command -v jq >/dev/null || die "needs jq"
command -v unshare >/dev/null || die "needs unshare (util-linux)"

T=$(mktemp -d /tmp/myrt-bench.XXXXXX)
B=$T/bundle
cleanup() {
    local id p want
    # a run that timed out may leave its container's processes: end them by pid
    want=$(stat -c %d:%i "$B/rootfs" 2>/dev/null)
    for p in $(ls /proc | grep -E '^[0-9]+$'); do
        [ -n "$want" ] && [ "$(stat -L -c %d:%i /proc/$p/root 2>/dev/null)" = "$want" ] && kill -KILL "$p" 2>/dev/null
    done
    for root in "$T/root-myrt" "$T/root-runc"; do
        [ -d "$root" ] || continue
        for id in $(ls "$root" 2>/dev/null); do
            "$RUNC" --root "$root" delete --force "$id" >/dev/null 2>&1 || "$MYRT" --root "$root" delete --force "$id" >/dev/null 2>&1
        done
    done
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# The bundle: busybox-static rootfs, runc's default spec with /bin/true and no
# terminal. The same bundle (same config.json) serves both runtimes.
mkdir -p "$B/rootfs/bin" "$B/rootfs/proc" "$B/rootfs/sys" "$B/rootfs/dev" "$B/rootfs/tmp"
cp "$BUSYBOX" "$B/rootfs/bin/busybox"
chroot "$B/rootfs" /bin/busybox --install -s /bin || die "busybox --install"
cc -O2 -o "$T/time_run" "$repo/bench/time_run.c" || die "building bench/time_run.c"
(cd "$B" && "$RUNC" spec) || die "runc spec"
jq '.process.terminal = false | .process.args = ["/bin/true"]' "$B/config.json" >"$B/config.json.new" &&
    mv "$B/config.json.new" "$B/config.json" || die "editing config.json"

# time_ms CMD...: run CMD (stdio to /dev/null), print its wall time in ms as
# bench/time_run.c measures it: from its fork to its wait, no shell or
# `timeout` process in between (either would add the same milliseconds to
# every side and pull the ratios towards 1). Fails if CMD fails or hangs.
time_ms() {
    local out rc
    out=$(TIME_RUN_ERR="$T/last.err" "$T/time_run" "$RUN_TIMEOUT" "$@")
    rc=$?
    if [ "$rc" != 0 ]; then
        [ "$rc" = 124 ] && echo "timed out after ${RUN_TIMEOUT}s" >>"$T/last.err"
        echo "exit code $rc" >>"$T/last.err"
        return 1
    fi
    echo "$out"
}

round() {   # round INDEX: one run of each, appended to the sample files
    local i=$1 m r f
    m=$(time_ms "$MYRT" --root "$T/root-myrt" run --bundle "$B" "b-$$-$i") ||
        die "myrt run failed (round $i): $(cat "$T/last.err")"
    r=$(time_ms "$RUNC" --root "$T/root-runc" run --bundle "$B" "b-$$-$i") ||
        die "runc run failed (round $i): $(cat "$T/last.err")"
    f=$(time_ms unshare --fork --pid --mount --uts --ipc --net chroot "$B/rootfs" /bin/true) ||
        die "floor run failed (round $i): $(cat "$T/last.err")"
    [ "$2" = record ] || return 0
    echo "$m" >>"$T/myrt.ms"
    echo "$r" >>"$T/runc.ms"
    echo "$f" >>"$T/floor.ms"
}

for ((i = 1; i <= WARMUP; i++)); do round "w$i" discard; done
for ((i = 1; i <= N; i++)); do round "$i" record; done

# stats FILE: median min p90
stats() {
    sort -n "$1" | awk '{ v[NR] = $1 } END {
        med = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
        p90 = v[int(NR * 0.9 + 0.999999)]
        printf "%.1f %.1f %.1f\n", med, v[1], p90 }'
}
read -r m_med m_min m_p90 < <(stats "$T/myrt.ms")
read -r r_med r_min r_p90 < <(stats "$T/runc.ms")
read -r f_med f_min f_p90 < <(stats "$T/floor.ms")

echo "run of /bin/true, $N rounds (after $WARMUP warm-up), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-7s %10s %10s %10s   %s\n' "" "median ms" "min ms" "p90 ms" "binary"
printf '%-7s %10s %10s %10s   %s\n' myrt "$m_med" "$m_min" "$m_p90" "$MYRT"
printf '%-7s %10s %10s %10s   %s\n' runc "$r_med" "$r_min" "$r_p90" "$RUNC"
printf '%-7s %10s %10s %10s   %s\n' floor "$f_med" "$f_min" "$f_p90" "unshare+chroot"
awk -v m="$m_med" -v r="$r_med" -v f="$f_med" 'BEGIN {
    printf "myrt/runc  %.2f  (goal <= 0.30)\n", m / r
    printf "myrt/floor %.2f  (goal <= 1.50)\n", m / f }'
