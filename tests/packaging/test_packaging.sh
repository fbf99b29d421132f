#!/usr/bin/env bash
# The service unit and the Debian package (packaging/, docs/operations.md):
#  - `systemd-analyze verify` finds nothing to say about the unit (any warning fails);
#  - `systemd-analyze security --offline=yes` rates its exposure at most 2.0 (printed);
#  - packaging/build-deb.sh builds a .deb with dpkg-buildpackage from this build directory, whose
#    `dpkg-deb --info` and `--contents` list the binary, the UI, the unit, the conffile and the
#    maintainer scripts;
#  - lintian, when installed, reports no error.
# Usage: test_packaging.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src="$1"
build="$2"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# The unit, pointed at the built binary (verify checks that ExecStart is executable).
sed "s#/usr/bin/sealpost#$build/src/cmd/sealpost#" "$src/packaging/sealpost.service" \
  > "$work/sealpost.service"
verify_out="$(systemd-analyze verify "$work/sealpost.service" 2>&1)" || fail "verify: $verify_out"
[ -z "$verify_out" ] || fail "systemd-analyze verify complains: $verify_out"
echo "ok: systemd-analyze verify"

security="$(systemd-analyze security --offline=yes --threshold=20 "$work/sealpost.service" 2>&1)" ||
  fail "exposure above 2.0: $(echo "$security" | tail -1)"
grep -q "Overall exposure level" <<<"$security" || fail "no exposure level: $security"
echo "ok: $(echo "$security" | grep 'Overall exposure level')"
for setting in 'ProtectSystem=strict' 'NoNewPrivileges=yes' 'PrivateTmp=yes' 'ProtectHome=yes' \
               'User=sealpost' 'CapabilityBoundingSet=CAP_NET_BIND_SERVICE' \
               'SystemCallFilter=@system-service' 'ReadWritePaths=/var/lib/sealpost'; do
  grep -qx "$setting" "$src/packaging/sealpost.service" || fail "the unit lacks $setting"
done

# The package, from this build directory (a stub UI when web/dist was not built).
web="$src/web/dist"
if [ ! -f "$web/index.html" ]; then
  web="$work/web"
  mkdir -p "$web/assets"
  echo '<!doctype html><title>Sealpost</title>' > "$web/index.html"
  echo 'console.log(1)' > "$web/assets/app.js"
fi
deb="$(SEALPOST_WEB_DIST="$web" bash "$src/packaging/build-deb.sh" "$build" "$work/out")"
[ -f "$deb" ] || fail "no package built"
info="$(dpkg-deb --info "$deb")"
contents="$(dpkg-deb --contents "$deb")"
for field in 'Package: sealpost' 'Depends: .*libsodium' 'Depends: .*adduser' 'Installed-Size: [0-9]'; do
  grep -q "$field" <<<"$info" || fail "control lacks $field: $info"
done
for path in ./usr/bin/sealpost ./usr/share/sealpost/web/index.html \
            ./lib/systemd/system/sealpost.service ./etc/sealpost/sealpost.toml \
            ./usr/share/doc/sealpost/copyright; do
  grep -q " $path\$" <<<"$contents" || fail "package lacks $path"
done
grep -q '^-rwxr-xr-x root/root .* ./usr/bin/sealpost$' <<<"$contents" || fail "binary mode/owner"
# Each listing is read whole before grep looks at it: with pipefail, a `grep -q` that stops at
# its first match can kill the writer with SIGPIPE and fail a check that found what it sought.
control_files="$(dpkg-deb --ctrl-tarfile "$deb" | tar -t)"
conffiles="$(dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles)"
postinst="$(dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./postinst)"
grep -q '^./postinst$' <<<"$control_files" || fail "no postinst"
grep -qx /etc/sealpost/sealpost.toml <<<"$conffiles" || fail "the config is not a conffile"
grep -q 'adduser --system' <<<"$postinst" || fail "postinst does not create the user"
sh -n <<<"$postinst" || fail "postinst syntax"
# The packaged binary runs.
dpkg-deb -x "$deb" "$work/x"
version="$("$work/x/usr/bin/sealpost" version)" || fail "packaged binary does not run"
grep -q '^sealpost ' <<<"$version" || fail "packaged binary does not say its version: $version"
echo "ok: $(basename "$deb"), $(echo "$contents" | wc -l) paths"

if command -v lintian >/dev/null; then
  lint="$(lintian --tag-display-limit 0 "$deb" 2>&1 || true)"
  echo "$lint"
  if grep -q '^E: ' <<<"$lint"; then fail "lintian errors"; fi
  echo "ok: lintian (no errors)"
else
  echo "note: lintian is not installed; skipped"
fi
