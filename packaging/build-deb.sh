#!/usr/bin/env bash
# Builds the Debian package of Sealpost from an existing build directory (no second build):
# the binary, the web UI (web/dist), the hardened systemd unit, a default configuration and the
# postinst that creates the `sealpost` user. Usage: packaging/build-deb.sh BUILD_DIR OUT_DIR
# Prints the path of the .deb. docs/operations.md, "Install as a service".
set -euo pipefail

src="$(cd "$(dirname "$0")/.." && pwd)"
build="$(cd "${1:?build directory}" && pwd)"
out="${2:?output directory}"
binary="$build/src/cmd/sealpost"
[ -x "$binary" ] || { echo "build-deb: no binary at $binary (run make build first)" >&2; exit 2; }
web="${SEALPOST_WEB_DIST:-$src/web/dist}"  # the built UI (a test may point elsewhere)
[ -f "$web/index.html" ] || { echo "build-deb: no web UI in $web (run make web)" >&2; exit 2; }

version="$(sed -n 's/^project(sealpost VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")"
arch="$(dpkg --print-architecture)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
root="$work/root"

install -D -m 0755 "$binary" "$root/usr/bin/sealpost"
strip --strip-unneeded "$root/usr/bin/sealpost"
mkdir -p "$root/usr/share/sealpost"
cp -r "$web" "$root/usr/share/sealpost/web"
find "$root/usr/share/sealpost/web" -type d -exec chmod 0755 {} + -o -type f -exec chmod 0644 {} +
install -D -m 0644 "$src/packaging/sealpost.service" "$root/lib/systemd/system/sealpost.service"
install -D -m 0644 "$src/packaging/sealpost.toml" "$root/etc/sealpost/sealpost.toml"
doc="$root/usr/share/doc/sealpost"
install -D -m 0644 "$src/docs/operations.md" "$doc/operations.md"
install -D -m 0644 "$src/docs/sealpost.example.toml" "$doc/sealpost.example.toml"
cat > "$doc/copyright" <<COPYRIGHT
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: sealpost
Source: https://sealpost.dev/

Files: *
Copyright: 2026 The Sealpost authors
License: see the source repository
COPYRIGHT
printf 'sealpost (%s) unstable; urgency=medium\n\n  * Package built from the source tree.\n\n -- Sealpost <packaging@sealpost.dev>  %s\n' \
  "$version" "$(date -R -d @"${SOURCE_DATE_EPOCH:-$(date +%s)}")" | gzip -9n > "$doc/changelog.gz"
chmod 0644 "$doc/changelog.gz"

# Shared-library dependencies of the binary, as Debian computes them.
mkdir -p "$work/shlibs/debian"
printf 'Source: sealpost\n\nPackage: sealpost\nArchitecture: any\n' > "$work/shlibs/debian/control"
shlibs="$(cd "$work/shlibs" && dpkg-shlibdeps -O "$root/usr/bin/sealpost" 2>/dev/null |
          sed -n 's/^shlibs:Depends=//p')"

mkdir -p "$root/DEBIAN"
installed_kb="$(du -sk "$root" | cut -f1)"
cat > "$root/DEBIAN/control" <<CONTROL
Package: sealpost
Version: $version
Architecture: $arch
Maintainer: Sealpost <packaging@sealpost.dev>
Installed-Size: $installed_kb
Depends: ${shlibs:+$shlibs, }adduser, fonts-dejavu-core
Section: mail
Priority: optional
Homepage: https://sealpost.dev/
Description: secure messaging server with provable delivery
 Sealpost lets an organisation exchange confidential, signed messages with
 anyone who has an e-mail address, with a tamper-evident audit log and signed
 receipts. This package installs the server, its web UI and a hardened
 systemd unit running it as the user sealpost.
CONTROL
echo "/etc/sealpost/sealpost.toml" > "$root/DEBIAN/conffiles"
install -m 0755 "$src/packaging/debian/postinst" "$src/packaging/debian/prerm" \
  "$src/packaging/debian/postrm" "$root/DEBIAN/"

mkdir -p "$out"
deb="$out/sealpost_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "$deb"
