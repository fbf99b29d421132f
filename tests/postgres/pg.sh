#!/usr/bin/env bash
# A private, throw-away PostgreSQL cluster used by the PostgreSQL store tests and the integration
# tests that run against PostgreSQL (SEALPOST_TEST_STORE=postgres).
#
#   pg.sh start DIR [PORT]   initdb + start a cluster living only in DIR
#   pg.sh stop DIR           stop it (fast shutdown) and kill whatever is left of it
#   pg.sh url DIR [DB]       print the connection URL (database DB, default "postgres")
#   pg.sh createdb DIR DB    create database DB and print its URL
#
# The server listens on a Unix socket in DIR (no network listener) and, when PORT is given, also
# on 127.0.0.1:PORT. Authentication is `trust` for the socket and 127.0.0.1/32 only; the superuser
# is "sealpost". fsync, synchronous_commit and full_page_writes stay on: the tests and benchmarks
# measure durable commits. Uses Debian's PostgreSQL 15 binaries (package postgresql-15, installed
# by scripts/install-deps.sh test). initdb refuses to run as root, so when started by root the
# cluster runs as the `postgres` system user and DIR is handed to it.
#
# Layout of DIR after `start`: data/ (the cluster), .s.PGSQL.<port> (socket), log, url.
set -euo pipefail

die() {
  echo "pg.sh: $*" >&2
  exit 1
}

usage() {
  die "usage: $0 start DIR [PORT] | stop DIR | url DIR [DB] | createdb DIR DB"
}

PGBIN=${SEALPOST_PGBIN:-/usr/lib/postgresql/15/bin}
SOCKET_PORT=5432  # only names the socket file; the TCP listener uses PORT when given

as_owner() {  # run a command as the cluster owner
  if [[ $(id -u) == 0 ]]; then
    setpriv --reuid=postgres --regid=postgres --init-groups --reset-env -- "$@"
  else
    "$@"
  fi
}

urlencode() {
  local s=$1 out="" c i
  for ((i = 0; i < ${#s}; i++)); do
    c=${s:i:1}
    case $c in
      [a-zA-Z0-9._~-]) out+=$c ;;
      *) out+=$(printf '%%%02X' "'$c") ;;
    esac
  done
  printf '%s' "$out"
}

url_for() {  # url_for DIR DB
  printf 'postgresql://sealpost@/%s?host=%s&port=%s\n' "$2" "$(urlencode "$1")" "$SOCKET_PORT"
}

abs_dir() {
  [[ -d $1 ]] || die "no such directory: $1"
  (cd "$1" && pwd -P)
}

cmd_start() {
  local dir=$1 port=${2:-}
  [[ -x $PGBIN/initdb && -x $PGBIN/pg_ctl ]] \
    || die "PostgreSQL 15 binaries not found in $PGBIN (run scripts/install-deps.sh test)"
  if [[ -n $port ]] && { ! [[ $port =~ ^[0-9]+$ ]] || ((port < 1 || port > 65535)); }; then
    die "bad port: $port"
  fi
  mkdir -p "$dir"
  dir=$(abs_dir "$dir")
  [[ -e $dir/data/PG_VERSION ]] && die "$dir already holds a cluster"
  # A Unix socket path is limited to 107 bytes.
  ((${#dir} + 20 < 107)) || die "directory path too long for a Unix socket: $dir"
  if [[ $(id -u) == 0 ]]; then
    getent passwd postgres >/dev/null || die "no postgres user (install postgresql-15)"
    chown postgres:postgres "$dir"
    chmod 0700 "$dir"
    as_owner test -w "$dir" || die "$dir is not reachable by the postgres user (parent lacks o+x)"
  fi
  as_owner "$PGBIN/initdb" -D "$dir/data" -U sealpost --auth=trust --encoding=UTF8 \
    --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || {
    cat "$dir/initdb.log" >&2
    die "initdb failed"
  }
  local listen="''"
  [[ -n $port ]] && listen="'127.0.0.1'"
  cat >>"$dir/data/postgresql.conf" <<EOF
# Throw-away test cluster (tests/postgres/pg.sh).
listen_addresses = $listen
port = ${port:-$SOCKET_PORT}
unix_socket_directories = '$dir'
unix_socket_permissions = 0777
max_connections = 200
fsync = on
synchronous_commit = on
full_page_writes = on
shared_buffers = 64MB
log_min_messages = warning
EOF
  cat >"$dir/data/pg_hba.conf" <<EOF
# TYPE  DATABASE  USER  ADDRESS       METHOD
local   all       all                 trust
host    all       all   127.0.0.1/32  trust
EOF
  SOCKET_PORT=${port:-$SOCKET_PORT}
  as_owner "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 60 start >/dev/null || {
    cat "$dir/log" >&2
    die "pg_ctl start failed"
  }
  url_for "$dir" postgres >"$dir/url"
  [[ $(id -u) == 0 ]] && chmod 0755 "$dir"  # the socket must be reachable by every test user
  cat "$dir/url"
}

cmd_stop() {
  local dir
  dir=$(abs_dir "$1")
  [[ -e $dir/data/PG_VERSION ]] || return 0
  as_owner "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >/dev/null 2>&1 || true
  if [[ -f $dir/data/postmaster.pid ]]; then
    local pid
    pid=$(head -n1 "$dir/data/postmaster.pid")
    if [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -rf "$dir/data" "$dir/url"
}

cmd_url() {
  local dir
  dir=$(abs_dir "$1")
  [[ -f $dir/url ]] || die "no running cluster in $dir"
  local db=${2:-postgres}
  sed "s|^\(postgresql://sealpost@/\)postgres?|\1$db?|" "$dir/url"
}

cmd_createdb() {
  local dir url
  dir=$(abs_dir "$1")
  [[ $2 =~ ^[a-z_][a-z0-9_]*$ ]] || die "bad database name: $2"
  url=$(cmd_url "$dir")
  psql -X -q -v ON_ERROR_STOP=1 "$url" -c "CREATE DATABASE $2" >/dev/null
  cmd_url "$dir" "$2"
}

case ${1:-} in
  start) (($# == 2 || $# == 3)) || usage; cmd_start "$2" "${3:-}" ;;
  stop) (($# == 2)) || usage; cmd_stop "$2" ;;
  url) (($# == 2 || $# == 3)) || usage; cmd_url "$2" "${3:-}" ;;
  createdb) (($# == 3)) || usage; cmd_createdb "$2" "$3" ;;
  *) usage ;;
esac
