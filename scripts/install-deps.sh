#!/usr/bin/env bash
# Installs every Debian package Sealpost needs to build, run and test.
# Usage: scripts/install-deps.sh [run|test]   (test adds the tools the test suite uses)
# Idempotent: it asks apt only for what is missing, so repeated `make` runs stay fast.
set -euo pipefail

mode=${1:-run}

build_pkgs=(
  build-essential cmake ninja-build ccache pkg-config git
  libboost-dev libssl-dev libsodium-dev libsqlite3-dev
  nlohmann-json3-dev libspdlog-dev libfmt-dev libcli11-dev libtomlplusplus-dev
  libqrencode-dev libpqxx-dev libopendkim-dev librnp-dev libgmime-3.0-dev libglib2.0-dev openssl
  ca-certificates libzip-dev libhpdf-dev fonts-dejavu-core libunbound-dev libspf2-dev
  libpcre2-dev
)
# The web UI is built with Node.js (web/, `npm ci` + Vite). Checked by command, not by package:
# a Node.js installed from elsewhere (with its own npm) is used as it is.
node_cmds=(node:nodejs npm:npm)
# The test tools; gnupg and sq are the independent OpenPGP implementations pgp/'s interop
# tests check against; clang and libclang-rt-dev (libFuzzer and the sanitizer runtimes of Debian's
# default clang) build `make fuzz`; nsd is the private authoritative DNS server of tests/dns/;
# prometheus brings promtool, which checks the /metrics exposition (it also installs, and on a
# systemd host starts, a Prometheus server on :9090).
# lintian checks the Debian package of `make deb` (tests/packaging/). swaks and msmtp are the
# mail programs of the SMTP submission tests.
test_pkgs=(
  libgtest-dev libgmock-dev libbenchmark-dev clang-format clang libclang-rt-dev
  python3 python3-dkim sqlite3 curl procps chromium postgresql gnupg sq poppler-utils unzip zip nsd lintian
  prometheus swaks msmtp debootstrap
)

pkgs=("${build_pkgs[@]}")
if [ "$mode" = test ]; then pkgs+=("${test_pkgs[@]}"); fi

missing=()
for p in "${pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
for pair in "${node_cmds[@]}"; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
