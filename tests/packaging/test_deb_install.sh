#!/usr/bin/env bash
# The Debian package installed into a throw-away Debian 12 root (issue 15, "a test installs it
# with dpkg -i into a throw-away Debian root … and runs the installed sealpost serve there"):
#
#  1. a minbase bookworm root made by debootstrap from deb.debian.org, cached between runs under
#     $SEALPOST_DEB_CACHE (default ~/.cache/sealpost/debootstrap), and beside it a second cached
#     root with the package's dependencies (its Depends line, installed by apt in the root) —
#     keyed by a hash of that line, so a new dependency makes a new one;
#  2. packaging/build-deb.sh builds the .deb (dpkg-buildpackage) from this build directory (a
#     stub UI when web/dist was not built);
#  3. a copy of the dependency root, where `dpkg -i` installs the package (the postinst creates
#     the user sealpost and /var/lib/sealpost), then `sealpost serve` runs there as the user
#     sealpost with the installed /etc/sealpost/sealpost.toml (only the port set to 0, so that
#     parallel tests do not collide), in a private mount namespace (/proc, /dev bound);
#  4. GET /healthz and GET /readyz over loopback from outside the root, the TLS certificate the
#     server made in its data directory as the CA; the installed UI is served at /.
#
# Needs root (chroot, mounts), debootstrap and the Debian mirror the first time (apt in the root
# later only when the Depends line changes). Cached, it takes about half a minute. Exit 77 (ctest:
# skipped) when it cannot run here: not root, no debootstrap, or no mirror for a missing cache.
# Usage: test_deb_install.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src="$(cd "$1" && pwd)"
build="$(cd "$2" && pwd)"
cache="${SEALPOST_DEB_CACHE:-${HOME:-/root}/.cache/sealpost/debootstrap}"
mirror="${SEALPOST_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
suite=bookworm
skip() { echo "SKIP: $*" >&2; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || skip "needs root (chroot and mounts)"
command -v debootstrap >/dev/null || skip "debootstrap is not installed (scripts/install-deps.sh test)"
command -v unshare >/dev/null || skip "unshare is not installed"

work="$(mktemp -d)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# Runs a command in ROOT, in a mount namespace of its own so that nothing stays mounted. With
# IN_ROOT_EXEC set (in a subshell), the subshell becomes the command instead of waiting for it.
in_root() {  # in_root ROOT CMD...
  local root="$1"
  shift
  # shellcheck disable=SC2016  # expanded by the inner shell
  ${IN_ROOT_EXEC:+exec} unshare --mount --propagation private -- sh -c '
    root="$1"; shift
    mount -t proc proc "$root/proc"
    mount --rbind /dev "$root/dev"
    exec chroot "$root" "$@"' sh "$root" "$@"
}

# 1. The cached base root.
mkdir -p "$cache"
base="$cache/$suite-minbase"
if [ ! -f "$base/.complete" ]; then
  curl -fsSI "$mirror/dists/$suite/Release" >/dev/null 2>&1 || skip "no cached root and $mirror does not answer"
  rm -rf "$base.tmp"
  echo "debootstrap: making $base (once; cached afterwards)"
  debootstrap --variant=minbase "$suite" "$base.tmp" "$mirror" >"$work/debootstrap.log" 2>&1 ||
    fail "debootstrap: $(tail -n 5 "$work/debootstrap.log")"
  rm -rf "$base"
  mv "$base.tmp" "$base"
  touch "$base/.complete"
fi

# 2. The package.
web="$src/web/dist"
if [ ! -f "$web/index.html" ]; then
  web="$work/web"
  mkdir -p "$web/assets"
  echo '<!doctype html><title>Sealpost</title>' >"$web/index.html"
  echo 'console.log(1)' >"$web/assets/app.js"
fi
deb="$(SEALPOST_WEB_DIST="$web" bash "$src/packaging/build-deb.sh" "$build" "$work/out")"
[ -f "$deb" ] || fail "no package built"
depends="$(dpkg-deb --field "$deb" Depends)"
echo "package: $(basename "$deb"); Depends: $depends"

# The root with the dependencies, cached per Depends line.
key="$(printf '%s' "$depends" | sha256sum | cut -c1-16)"
deps="$cache/$suite-deps-$key"
if [ ! -f "$deps/.complete" ]; then
  echo "apt: installing the dependencies into $deps (once per Depends line)"
  rm -rf "$deps.tmp"
  cp -a "$base" "$deps.tmp"
  rm -f "$deps.tmp/.complete"
  # apt resolves the Depends line as dpkg will check it: a dummy package that depends on it.
  mkdir -p "$work/dummy/DEBIAN"
  printf 'Package: sealpost-deps\nVersion: 1\nArchitecture: all\nMaintainer: test <t@example.org>\nDepends: %s\nDescription: dependencies of sealpost\n' \
    "$depends" >"$work/dummy/DEBIAN/control"
  dpkg-deb --build "$work/dummy" "$deps.tmp/tmp/sealpost-deps.deb" >/dev/null
  cp /etc/resolv.conf "$deps.tmp/etc/resolv.conf" 2>/dev/null || true
  in_root "$deps.tmp" sh -c 'apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends /tmp/sealpost-deps.deb && apt-get purge -y -q sealpost-deps && apt-get clean' \
    >"$work/apt.log" 2>&1 || fail "apt in the root: $(tail -n 8 "$work/apt.log")"
  rm -f "$deps.tmp/tmp/sealpost-deps.deb"
  rm -rf "$deps"
  mv "$deps.tmp" "$deps"
  touch "$deps/.complete"
fi

# 3. A throw-away copy; dpkg -i there.
root="$work/root"
cp -a --reflink=auto "$deps" "$root"
cp "$deb" "$root/tmp/"
in_root "$root" dpkg -i "/tmp/$(basename "$deb")" >"$work/dpkg.log" 2>&1 ||
  fail "dpkg -i: $(tail -n 8 "$work/dpkg.log")"
echo "ok: dpkg -i $(basename "$deb") into a fresh $suite root"
in_root "$root" getent passwd sealpost >/dev/null || fail "postinst made no user sealpost"
# (Owners read inside the root: its user ids are not the host's.)
owner="$(in_root "$root" stat -c '%U %a' /var/lib/sealpost)"
[ "$owner" = "sealpost 700" ] || fail "/var/lib/sealpost is $owner"
[ -f "$root/lib/systemd/system/sealpost.service" ] || fail "no unit installed"
# Outputs are read whole before grep: with pipefail, `grep -q` stopping early can SIGPIPE the writer.
status="$(in_root "$root" dpkg -s sealpost)" || fail "dpkg -s"
grep -qx 'Status: install ok installed' <<<"$status" || fail "dpkg -s: $status"

# 4. The installed server, as its unit would run it (user sealpost, the installed config).
sed 's/^port = .*/port = 0/' "$root/etc/sealpost/sealpost.toml" >"$root/etc/sealpost/test.toml"
grep -qx 'port = 0' "$root/etc/sealpost/test.toml" || fail "the installed config has no port line"
in_root "$root" chown root:sealpost /etc/sealpost/test.toml
chmod 0640 "$root/etc/sealpost/test.toml"
# exec all the way down, so that $server_pid is the server itself (killed at exit).
(IN_ROOT_EXEC=1 in_root "$root" setpriv --reuid=sealpost --regid=sealpost --init-groups \
  /usr/bin/sealpost serve --config /etc/sealpost/test.toml) >"$work/serve.out" 2>"$work/serve.log" &
server_pid=$!
port=""
for _ in $(seq 1 300); do
  port="$(sed -n 's/^listening on [0-9.]*:\([0-9]*\)$/\1/p' "$work/serve.out")"
  [ -n "$port" ] && break
  kill -0 "$server_pid" 2>/dev/null || fail "sealpost serve exited: $(tail -n 5 "$work/serve.log")"
  sleep 0.1
done
[ -n "$port" ] || fail "sealpost serve did not listen within 30 s: $(tail -n 5 "$work/serve.log")"
ca="$root/var/lib/sealpost/data/tls/certificate.pem"
[ -f "$ca" ] || fail "no certificate in the installed data directory"
[ "$(in_root "$root" stat -c %U /var/lib/sealpost/data)" = sealpost ] ||
  fail "data not owned by sealpost"
health="$(curl -fsS --cacert "$ca" "https://127.0.0.1:$port/healthz")" || fail "GET /healthz"
ready=""
for _ in $(seq 1 50); do
  ready="$(curl -fsS --cacert "$ca" "https://127.0.0.1:$port/readyz" 2>/dev/null)" && break
  sleep 0.2
done
[ -n "$ready" ] || fail "GET /readyz never answered 200"
page="$(curl -fsS --cacert "$ca" "https://127.0.0.1:$port/")" || fail "GET / failed"
grep -q '<title>Sealpost' <<<"$page" || fail "the installed UI is not served at /"
echo "ok: the installed sealpost serve (user sealpost, /etc/sealpost) answers /healthz: $health; /readyz: $ready"
