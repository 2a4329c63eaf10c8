#!/bin/bash
# Builds myrt and shows a container surviving a checkpoint: a busybox
# container counts, is checkpointed (which removes it, as with runc), restored from
# the image, and goes on counting from where it was.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/build.sh
MYRT=${MYRT:-$PWD/build/runtime/myrt}
work=$(mktemp -d /tmp/myrt-demo.XXXXXX)
root=$work/state
id=demo-$$
cleanup() { "$MYRT" --root "$root" delete --force "$id" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT

mkdir -p "$work/bundle/rootfs/bin"
cp /bin/busybox "$work/bundle/rootfs/bin/busybox"
chroot "$work/bundle/rootfs" /bin/busybox --install -s /bin
(cd "$work/bundle" && "$MYRT" spec)
jq '.process.terminal=false | .process.args=["sh","-c","i=0; while true; do i=$((i+1)); echo \"tick $i\"; sleep 0.2; done"]' \
  "$work/bundle/config.json" > "$work/config.json" && mv "$work/config.json" "$work/bundle/config.json"
log=$work/container.log

echo "== myrt run -d $id (its output goes to $log)"
"$MYRT" --root "$root" run -d --bundle "$work/bundle" "$id" </dev/null >>"$log" 2>&1
sleep 1.5
"$MYRT" --root "$root" state "$id" | jq -c '{id, status, pid}'
"$MYRT" --root "$root" ps "$id"
echo "== last line before the checkpoint: $(tail -n1 "$log")"

echo "== myrt checkpoint --image-path $work/image $id"
"$MYRT" --root "$root" checkpoint --image-path "$work/image" --work-path "$work" "$id"
# As with runc, a checkpoint without --leave-running removes the container.
"$MYRT" --root "$root" state "$id" 2>&1 | sed 's/^/   state now: /' || true
echo "   image: $(du -sh "$work/image" | cut -f1); last line now: $(tail -n1 "$log")"
"$MYRT" image inspect --summary "$work/image" | jq -c "{records, bytes, types: (.types | keys)}"

echo "== myrt restore -d --image-path $work/image $id"
"$MYRT" --root "$root" restore -d --bundle "$work/bundle" --image-path "$work/image" --work-path "$work" "$id" </dev/null >>"$log" 2>&1
sleep 1.5
"$MYRT" --root "$root" state "$id" | jq -c '{id, status, pid}'
echo "== the same counter, continuing after the restore:"
tail -n 4 "$log"
"$MYRT" --root "$root" delete --force "$id"
echo "demo finished"
