#!/bin/sh
# Exports the committed tree (HEAD) to <dir> and wires its node_modules, so the bench can measure exactly what
# is committed while people keep editing the work tree: third-party packages are symlinked from this
# checkout's node_modules, workspace packages point at the export's own packages/.
# Usage: bench/export-head.sh /tmp/pushwire-head && cd /tmp/pushwire-head && npm run bench -- websocket
set -e
DST=${1:?usage: bench/export-head.sh <dir>}
ROOT=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
rm -rf "$DST"
mkdir -p "$DST/node_modules/@pushwire"
git -C "$ROOT" archive HEAD | tar -x -C "$DST"
for entry in "$ROOT"/node_modules/* "$ROOT"/node_modules/.bin; do
  name=$(basename "$entry")
  case "$name" in pushwire | @pushwire) continue ;; esac
  ln -s "$entry" "$DST/node_modules/$name"
done
ln -s ../packages/pushwire "$DST/node_modules/pushwire"
for pkg in "$DST"/packages/*; do
  name=$(basename "$pkg")
  [ "$name" = pushwire ] || ln -s "../../packages/$name" "$DST/node_modules/@pushwire/$name"
done
git -C "$ROOT" rev-parse HEAD > "$DST/.bench-commit"
echo "exported $(cat "$DST/.bench-commit") to $DST"
