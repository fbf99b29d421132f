#!/usr/bin/env bash
# Builds the Debian package of Sealpost with dpkg-buildpackage from an existing build directory
# (no second build): packaging/debian/ (control, rules, maintainer scripts) is copied into a
# staging source directory with a changelog of the project's version, and its binary-only rules
# install the binary, the web UI (web/dist), the hardened systemd unit, a default configuration
# and the docs. Usage: packaging/build-deb.sh BUILD_DIR OUT_DIR. Prints the path of the .deb.
# docs/operations.md, "Install as a service".
set -euo pipefail

src="$(cd "$(dirname "$0")/.." && pwd)"
build="$(cd "${1:?build directory}" && pwd)"
out="${2:?output directory}"
binary="$build/src/cmd/sealpost"
[ -x "$binary" ] || { echo "build-deb: no binary at $binary (run make build first)" >&2; exit 2; }
web="${SEALPOST_WEB_DIST:-$src/web/dist}"  # the built UI (a test may point elsewhere)
[ -f "$web/index.html" ] || { echo "build-deb: no web UI in $web (run make web)" >&2; exit 2; }
web="$(cd "$web" && pwd)"
command -v dpkg-buildpackage >/dev/null || { echo "build-deb: dpkg-buildpackage missing (dpkg-dev)" >&2; exit 2; }

version="$(sed -n 's/^project(sealpost VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
stage="$work/sealpost-$version"
mkdir -p "$stage"
cp -r "$src/packaging/debian" "$stage/debian"
printf 'sealpost (%s) unstable; urgency=medium\n\n  * Package built from the source tree.\n\n -- Sealpost <packaging@sealpost.dev>  %s\n' \
  "$version" "$(date -R -d @"${SOURCE_DATE_EPOCH:-$(date +%s)}")" > "$stage/debian/changelog"

# -b: binary only; -d: the rules compile nothing, so no build dependencies to check; unsigned.
(cd "$stage" && SEALPOST_SRC="$src" SEALPOST_BUILD_DIR="$build" SEALPOST_WEB_DIST="$web" \
  dpkg-buildpackage -b -d -us -uc) > "$work/dpkg-buildpackage.log" 2>&1 || {
  echo "build-deb: dpkg-buildpackage failed:" >&2
  tail -n 20 "$work/dpkg-buildpackage.log" >&2
  exit 1
}
arch="$(dpkg --print-architecture)"
deb="$work/sealpost_${version}_${arch}.deb"
[ -f "$deb" ] || { echo "build-deb: dpkg-buildpackage made no $deb" >&2; exit 1; }
mkdir -p "$out"
cp "$deb" "$out/"
echo "$out/$(basename "$deb")"
