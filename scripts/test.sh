#!/bin/bash
# The whole test suite: unit tests, integration tests on real containers,
# Podman and containerd driving myrt, and a short fuzzing smoke run.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/build.sh
cd build
ctest --output-on-failure --timeout 900 -j1 "$@"
