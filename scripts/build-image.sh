#!/usr/bin/env bash
# Builds the product image without a Docker engine, as an OCI image layout, with umoci:
#   scripts/build-image.sh <layout-dir> [tag]      (default tag: latest)
# Same contents as the Dockerfile: Node.js (this machine's binary and the shared libraries it
# links), the compiled app in /app/dist, production node_modules, bin/continuum.js, a static
# busybox (Debian's busybox-static); entrypoint
# `node /app/bin/continuum.js`, user 65532.
set -euo pipefail
layout=${1:?usage: scripts/build-image.sh <layout-dir> [tag]}
tag=${2:-latest}
repo=$(cd "$(dirname "$0")/.." && pwd)
for cmd in umoci node npm ldd; do
  command -v "$cmd" >/dev/null || { echo "build-image: $cmd is missing (apt-get install umoci)" >&2; exit 1; }
done
[ -x /bin/busybox ] || { echo "build-image: /bin/busybox is missing (apt-get install busybox-static)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "[build-image] compiling the app and installing production dependencies" >&2
app=$work/app
mkdir -p "$app"
cp "$repo/package.json" "$repo/package-lock.json" "$app/"
cp -r "$repo/bin" "$app/bin"
(cd "$app" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error)
"$repo/node_modules/.bin/tsc" -p "$repo/tsconfig.build.json" --outDir "$app/dist" --sourceMap false

echo "[build-image] assembling the root filesystem" >&2
umoci init --layout "$layout" 2>/dev/null || true
umoci new --image "$layout:$tag"
umoci unpack --image "$layout:$tag" "$work/bundle" >/dev/null
rootfs=$work/bundle/rootfs
node_bin=$(node -p process.execPath)
install -D -m 0755 "$node_bin" "$rootfs/usr/local/bin/node"
# The shared libraries node links against, at the paths the dynamic loader looks for them.
ldd "$node_bin" | grep -o '/[^ ]*' | while read -r lib; do
  install -D -m 0755 "$(readlink -f "$lib")" "$rootfs$lib"
done
mkdir -p "$rootfs/tmp" "$rootfs/etc"
chmod 1777 "$rootfs/tmp"
printf 'root:x:0:0:root:/root:/sbin/nologin\ncontinuum:x:65532:65532:continuum:/app:/sbin/nologin\n' >"$rootfs/etc/passwd"
printf 'root:x:0:\ncontinuum:x:65532:\n' >"$rootfs/etc/group"
cp -r "$app" "$rootfs/app"
# A static busybox: restored pods run its `true` from an init container of the checkpoint's base
# image, which may have no shell (reconcilers/migration/base-image-pull.ts).
install -D -m 0755 /bin/busybox "$rootfs/bin/busybox"
# `continuum` on the PATH (Jobs run `continuum imager` and `continuum cleanup`): the script's
# shebang needs /usr/bin/env.
install -D -m 0755 "$(readlink -f /usr/bin/env)" "$rootfs/usr/bin/env"
ln -s /app/bin/continuum.js "$rootfs/usr/local/bin/continuum"

umoci repack --image "$layout:$tag" "$work/bundle"
umoci config --image "$layout:$tag" \
  --config.entrypoint /usr/local/bin/node --config.entrypoint /app/bin/continuum.js \
  --config.user 65532:65532 --config.workingdir /app \
  --config.env PATH=/usr/local/bin:/usr/bin:/bin --config.env NODE_ENV=production \
  --config.label org.opencontainers.image.title=continuum
umoci gc --layout "$layout"
echo "[build-image] $layout:$tag" >&2
