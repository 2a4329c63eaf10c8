#!/bin/sh
# Fuzz smoke run: configures a separate clang build with MYRT_FUZZ=ON in
# BUILD_DIR, builds image_reader_fuzzer and restore_decoders_fuzzer (the
# restore's first pass, the section codecs, the netns section, the IPC
# parser, the unix and inet socket tables), seeds a corpus for each and fuzzes each for SECONDS.
# Exits non-zero when the fuzzer finds a crash, a sanitizer error or an
# allocation above 64 MiB (the reader's own limit is 16 MiB).
#   cr/fuzz/smoke.sh /tmp/myrt-fuzz 30
set -eu
BUILD_DIR=${1:?usage: smoke.sh BUILD_DIR SECONDS}
RUN_SECONDS=${2:-30}
SRC=$(cd "$(dirname "$0")/../.." && pwd)

CC=clang CXX=clang++ cmake -S "$SRC" -B "$BUILD_DIR" -DMYRT_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD_DIR" --target image_reader_fuzzer make_image_corpus restore_decoders_fuzzer make_decoder_corpus \
    -j"$(nproc)"

CORPUS="$BUILD_DIR/fuzz-corpus"
mkdir -p "$CORPUS"
"$BUILD_DIR/cr/fuzz/make_image_corpus" "$CORPUS"

echo "fuzzing the image reader for ${RUN_SECONDS}s (corpus $CORPUS)"
"$BUILD_DIR/cr/fuzz/image_reader_fuzzer" \
    -max_total_time="$RUN_SECONDS" \
    -malloc_limit_mb=64 -rss_limit_mb=1024 \
    -max_len=65536 -print_final_stats=1 \
    -artifact_prefix="$BUILD_DIR/fuzz-crash-" \
    "$CORPUS"

DECODER_CORPUS="$BUILD_DIR/fuzz-decoder-corpus"
mkdir -p "$DECODER_CORPUS"
"$BUILD_DIR/cr/fuzz/make_decoder_corpus" "$DECODER_CORPUS"
echo "fuzzing the restore's decoders for ${RUN_SECONDS}s (corpus $DECODER_CORPUS)"
"$BUILD_DIR/cr/fuzz/restore_decoders_fuzzer" \
    -max_total_time="$RUN_SECONDS" \
    -malloc_limit_mb=64 -rss_limit_mb=1024 \
    -max_len=65536 -print_final_stats=1 \
    -artifact_prefix="$BUILD_DIR/fuzz-decoders-crash-" \
    "$DECODER_CORPUS"
