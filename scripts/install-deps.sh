#!/bin/bash
# Installs everything myrt needs to build and test, from Debian's packages.
# Runs apt-get update only when something is missing.
set -euo pipefail
[ "$(id -u)" = 0 ] || { echo "install-deps: run this as root (it installs Debian packages and runs containers)" >&2; exit 1; }

PACKAGES=(
  # build
  cmake g++ make pkg-config clang libclang-rt-14-dev
  # libraries
  nlohmann-json3-dev libfmt-dev libcli11-dev libyaml-cpp-dev libseccomp-dev libcgroup-dev
  liburing-dev libcap-dev libxxhash-dev libgtest-dev libgmock-dev
  # tests, demo and benchmarks: a rootfs, the peers we are compared with, the callers that drive us
  busybox-static jq iproute2 iptables procps util-linux hyperfine runc criu podman conmon containerd uidmap
  # a real service checkpointed in a container (integration/cr/objects_service.sh)
  redis-server
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
