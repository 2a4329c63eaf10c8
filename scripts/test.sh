#!/bin/bash
# The whole test suite: a short fuzzing run of the image reader, then every
# ctest test (unit tests, integration tests on real containers, Podman and
# containerd driving myrt). Extra arguments go to ctest (e.g. -L unit).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/build.sh
if [ "${MYRT_SKIP_FUZZ:-}" != 1 ]; then
  cr/fuzz/smoke.sh "$PWD/build-fuzz" "${MYRT_FUZZ_SECONDS:-30}"
fi
cd build
rc=0
ctest --output-on-failure --timeout 900 -j1 "$@" || rc=$?
if [ "$rc" != 0 ]; then
  # Repeat each failed test's output last, where a log's tail shows it.
  cut -d: -f2- Testing/Temporary/LastTestsFailed.log 2>/dev/null | while read -r t; do
    echo "=== output of failed test $t ==="
    awk -v t="$t" '$0 ~ "^[0-9]+/[0-9]+ Testing: " t "$" {p=1} p && /^"?.*end time:/ {p=0} p' \
      Testing/Temporary/LastTest.log | tail -60
  done
fi
exit "$rc"
