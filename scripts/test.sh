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
ctest --output-on-failure --timeout 900 -j1 "$@"
