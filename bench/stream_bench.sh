#!/bin/sh
# Image streaming throughput: PAGES records through the io_uring transport
# (RecordWriter -> FileSink / TcpSink, checksummed) against a plain
# write()/send() loop of the same number of bytes, side by side.
#
#   bench/stream_bench.sh [BUILD_DIR] [SIZE_MIB ...]      default: 1024 4096
#   REPEAT=3            runs per side and size, alternating plain/stream; medians and
#                       bests are printed (on a busy 2-CPU machine the best is the
#                       closer estimate of what each side can do)
#   FILE_DIR=/dev/shm   where the file runs write (tmpfs by default; a disk path measures the disk)
#   STREAM_CHUNK_MIB=4  bytes per PAGES record and per plain write (a checkpoint writes runs of up to
#                       dump_memory's buffer, 4 MiB)
#   STREAM_BUFFERS=4    producer slots handed off and in flight at once, as dump_memory's buffers
#                       (0: the synchronous write_pages, one record at a time)
#
# The TCP runs go over loopback to a receiver process that drains the socket.
# Peak RSS is the streaming process's own ru_maxrss (the receiver is a child).
# Goal: stream >= 0.9x plain, stream peak RSS < 64 MiB.
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${1:-$SRC/build-bench}
[ $# -gt 0 ] && shift
SIZES=${*:-1024 4096}
REPEAT=${REPEAT:-3}
FILE_DIR=${FILE_DIR:-/dev/shm}

if [ ! -x "$BUILD_DIR/cr/tools/stream_bench" ]; then
    cmake -S "$SRC" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build "$BUILD_DIR" --target stream_bench -j"$(nproc)" >/dev/null
BENCH="$BUILD_DIR/cr/tools/stream_bench"
IMG="$FILE_DIR/myrt-stream-bench.$$"
trap 'rm -f "$IMG" "$IMG.partial"' EXIT INT TERM

field() { sed -n "s/.*\"$1\": \([0-9.]*\).*/\1/p"; }
median() { sort -n | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
best() { sort -n | tail -1; }

fs_type=$(stat -f -c %T "$FILE_DIR" 2>/dev/null || echo unknown)
echo "stream bench: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), files in $FILE_DIR ($fs_type), $REPEAT runs each"
printf '%-16s %6s %17s %17s %13s %14s\n' target MiB "plain MB/s" "stream MB/s" "ratio" "stream peak"
printf '%-16s %6s %17s %17s %13s %14s\n' "" "" "median / best" "median / best" "median / best" "RSS"
for size in $SIZES; do
    for target in file tcp; do
        plain="" stream="" rss=""
        i=0
        while [ $i -lt "$REPEAT" ]; do
            # Alternate which side goes first: a run right after the other
            # side's file was deleted gets its freshly freed (warm) memory.
            order="plain stream"
            [ $((i % 2)) = 1 ] && order="stream plain"
            for side in $order; do
                if [ $target = file ]; then out=$("$BENCH" $side file "$IMG" "$size"); rm -f "$IMG"
                else out=$("$BENCH" $side tcp - "$size"); fi
                mbs=$(echo "$out" | field mb_per_s)
                if [ $side = plain ]; then plain="$plain $mbs"
                else stream="$stream $mbs"; rss="$rss $(echo "$out" | field maxrss_kib)"; fi
            done
            i=$((i + 1))
        done
        p=$(echo $plain | tr ' ' '\n' | median)
        pb=$(echo $plain | tr ' ' '\n' | best)
        s=$(echo $stream | tr ' ' '\n' | median)
        sb=$(echo $stream | tr ' ' '\n' | best)
        r=$(echo $rss | tr ' ' '\n' | sort -n | tail -1)
        label=$target
        [ $target = file ] && label="file ($fs_type)"
        [ $target = tcp ] && label="tcp (loopback)"
        printf '%-16s %6s %8.0f /%7.0f %8.0f /%7.0f %6.2f /%5.2f %10.1f MiB\n' "$label" "$size" "$p" "$pb" "$s" "$sb" \
            "$(echo "$s $p" | awk '{print $1/$2}')" "$(echo "$sb $pb" | awk '{print $1/$2}')" "$(echo "$r" | awk '{print $1/1024}')"
    done
done
