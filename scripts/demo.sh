#!/bin/bash
# Builds myrt and runs a busybox container: create, start, state, exec, pause,
# resume, then delete. (Checkpoint/restore joins this demo when the driver lands.)
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/build.sh
MYRT=$PWD/build/runtime/myrt
work=$(mktemp -d /tmp/myrt-demo.XXXXXX)
root=$work/state
id=demo-$$
cleanup() { "$MYRT" --root "$root" delete --force "$id" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT

mkdir -p "$work/bundle/rootfs/bin"
cp /bin/busybox "$work/bundle/rootfs/bin/busybox"
chroot "$work/bundle/rootfs" /bin/busybox --install -s /bin
(cd "$work/bundle" && "$MYRT" spec)
jq '.process.terminal=false | .process.args=["sh","-c","i=0; while true; do i=$((i+1)); echo $i > /tmp/counter; sleep 0.2; done"]' \
  "$work/bundle/config.json" > "$work/bundle/config.json.new" && mv "$work/bundle/config.json.new" "$work/bundle/config.json"

echo "== myrt run -d $id"
"$MYRT" --root "$root" run -d --bundle "$work/bundle" "$id" </dev/null >/dev/null 2>&1
"$MYRT" --root "$root" state "$id"
sleep 1
echo "== counter inside the container: $("$MYRT" --root "$root" exec "$id" cat /tmp/counter)"
"$MYRT" --root "$root" pause "$id"
a=$("$MYRT" --root "$root" state "$id" | jq -r .status)
sleep 1
"$MYRT" --root "$root" resume "$id"
echo "== status while paused: $a; counter after resume: $("$MYRT" --root "$root" exec "$id" cat /tmp/counter)"
"$MYRT" --root "$root" ps "$id"
"$MYRT" --root "$root" list
echo "== delete"
"$MYRT" --root "$root" delete --force "$id"
echo "demo finished"
