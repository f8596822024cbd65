#!/usr/bin/env bash
# make deb: a Debian package of kite built from this tree, without
# dpkg-buildpackage's source-package machinery: CMake installs kited, kitectl, kite-load,
# the man pages, the unit, docs and examples into a staging root (prefix /usr,
# the configuration in /etc/kite), dpkg-shlibdeps computes Depends from the
# binaries, dpkg-deb builds kite_VERSION_ARCH.deb.
# Usage: scripts/mkdeb.sh BUILD_DIR OUT_DIR   (prints the .deb's path last)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(mkdir -p "${1:-build-deb}" && cd "${1:-build-deb}" && pwd)
OUT=$(mkdir -p "${2:-.}" && cd "${2:-.}" && pwd)
JOBS=${JOBS:-$(nproc)}
version=$(sed -n 's/^project(kite VERSION \([0-9.]*\).*/\1/p' "$ROOT/CMakeLists.txt")
arch=$(dpkg --print-architecture)
[ -n "$version" ] || { echo "mkdeb: no version in CMakeLists.txt" >&2; exit 1; }

cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=/usr \
  -DKITE_SYSCONFDIR=/etc >/dev/null
MAKEFLAGS= cmake --build "$BUILD" -j"$JOBS" --target kited kitectl kite-load >/dev/null
STAGE=$BUILD/deb-root
rm -rf "$STAGE"
DESTDIR=$STAGE cmake --install "$BUILD" --strip >/dev/null
# Debian policy: compressed man pages and a copyright file
find "$STAGE/usr/share/man" -type f -name '*.[0-9]' -exec gzip -9n {} +
install -m 0644 "$ROOT/packaging/debian/copyright" "$STAGE/usr/share/doc/kite/copyright"
chmod 0600 "$STAGE/etc/kite/swanctl.conf"

mkdir -p "$STAGE/DEBIAN"
for s in postinst prerm postrm; do install -m 0755 "$ROOT/packaging/debian/$s" "$STAGE/DEBIAN/$s"; done
(cd "$STAGE" && find etc -type f | sed 's#^#/#') > "$STAGE/DEBIAN/conffiles"
# Depends from the libraries the binaries link (dpkg-shlibdeps wants a debian/control)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/debian"
printf 'Source: kite\n\nPackage: kite\nArchitecture: any\n' > "$tmp/debian/control"
deps=$(cd "$tmp" && dpkg-shlibdeps -O "$STAGE/usr/sbin/kited" "$STAGE/usr/bin/kitectl" "$STAGE/usr/bin/kite-load" 2>/dev/null |
       sed -n 's/^shlibs:Depends=//p')
[ -n "$deps" ] || { echo "mkdeb: dpkg-shlibdeps found no dependencies" >&2; exit 1; }
size=$(du -sk --exclude=DEBIAN "$STAGE" | cut -f1)
cat > "$STAGE/DEBIAN/control" <<CONTROL
Package: kite
Version: $version
Architecture: $arch
Maintainer: kite developers <kite@example.org>
Installed-Size: $size
Depends: $deps
Suggests: strongswan-swanctl
Section: net
Priority: optional
Homepage: https://example.org/kite
Description: IKEv2/IPsec VPN daemon with a userspace ESP data plane
 kited negotiates IPsec SAs with IKEv2 (RFC 7296), with pre-shared keys or
 X.509 certificates, and protects traffic with its own ESP (RFC 4303) over a
 TUN device. It reads strongSwan's swanctl.conf syntax and speaks the VICI
 protocol, so swanctl drives it; kitectl is its own command line.
CONTROL
deb=$OUT/kite_${version}_${arch}.deb
dpkg-deb --root-owner-group -Zxz --build "$STAGE" "$deb" >/dev/null
echo "$deb"
