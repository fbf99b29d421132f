#!/usr/bin/env bash
# A private, throw-away authoritative DNS server (NSD) on loopback, serving test zones to the
# MX resolver and direct TLS delivery tests (src/delivery/*_test.cpp).
#
#   nsd.sh start DIR PORT ZONEFILE...   serve each ZONEFILE (named <zone>.zone, e.g.
#                                       partner.test.zone) on 127.0.0.1:PORT (UDP and TCP)
#   nsd.sh stop DIR                     stop it
#
# Everything (config, copies of the zone files, pid file, log) stays inside DIR; the system's
# NSD (/etc/nsd) is neither configured nor started. Runs as the calling user (no privilege drop,
# no chroot, no database file, no remote control). The zone files are ordinary RFC 1035 master
# files; `start` checks each with nsd-checkzone first, so a broken test zone fails loudly.
#
# Layout of DIR after `start`: nsd.conf, zones/<zone>.zone, nsd.pid, nsd.log.
set -euo pipefail

die() {
  echo "nsd.sh: $*" >&2
  exit 1
}

usage() {
  die "usage: $0 start DIR PORT ZONEFILE... | stop DIR"
}

NSD=/usr/sbin/nsd

cmd_start() {
  local dir=$1 port=$2
  shift 2
  if ! [[ $port =~ ^[0-9]+$ ]] || ((port < 1 || port > 65535)); then die "bad port: $port"; fi
  [[ -x $NSD ]] || die "NSD is not installed (Debian package nsd)"
  mkdir -p "$dir/zones"
  dir=$(cd "$dir" && pwd -P)
  [[ -e $dir/nsd.conf ]] && die "$dir already holds an instance"

  {
    cat <<EOF2
# Private test instance for Sealpost (tests/dns/nsd.sh). Not the system's NSD.
server:
  ip-address: 127.0.0.1@$port
  port: $port
  do-ip6: no
  username: ""
  chroot: ""
  database: ""
  zonelistfile: "$dir/zone.list"
  xfrdfile: "$dir/xfrd.state"
  xfrdir: "$dir"
  pidfile: "$dir/nsd.pid"
  logfile: "$dir/nsd.log"
  zonesdir: "$dir/zones"
  server-count: 1
  verbosity: 1
  hide-version: yes
remote-control:
  control-enable: no
EOF2
    local f zone
    for f in "$@"; do
      zone=$(basename "$f" .zone)
      [[ $zone =~ ^[A-Za-z0-9.-]+$ ]] || die "zone file name must be <zone>.zone: $f"
      cp "$f" "$dir/zones/$zone.zone"
      /usr/sbin/nsd-checkzone "$zone" "$dir/zones/$zone.zone" >&2 || die "bad zone file: $f"
      printf 'zone:\n  name: "%s"\n  zonefile: "%s.zone"\n' "$zone" "$zone"
    done
  } >"$dir/nsd.conf"
  /usr/sbin/nsd-checkconf "$dir/nsd.conf" || die "nsd-checkconf refused $dir/nsd.conf"
  $NSD -c "$dir/nsd.conf" || { tail -n 20 "$dir/nsd.log" >&2 || true; die "nsd did not start"; }

  # Ready when the pid file names a live nsd and TCP answers.
  local deadline=$((SECONDS + 10))
  while ((SECONDS < deadline)); do
    if [[ -s $dir/nsd.pid ]] && (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "nsd.sh: serving $# zone(s) from $dir on 127.0.0.1:$port" >&2
      return 0
    fi
    sleep 0.1
  done
  cmd_stop "$dir"
  die "nsd started but 127.0.0.1:$port does not answer"
}

cmd_stop() {
  local dir=$1 pid=""
  [[ -d $dir ]] || return 0
  dir=$(cd "$dir" && pwd -P)
  [[ -f $dir/nsd.pid ]] || return 0
  pid=$(tr -dc '0-9' <"$dir/nsd.pid")
  # A stale pid file must not make us signal an unrelated process.
  [[ -n $pid && $(readlink "/proc/$pid/exe" 2>/dev/null) == "$NSD" ]] || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  return 0
}

[[ $# -ge 1 ]] || usage
case $1 in
  start)
    [[ $# -ge 4 ]] || usage
    shift
    cmd_start "$@"
    ;;
  stop)
    [[ $# -eq 2 ]] || usage
    cmd_stop "$2"
    ;;
  *) usage ;;
esac
