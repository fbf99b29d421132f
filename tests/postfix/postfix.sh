#!/usr/bin/env bash
# A private, throw-away Postfix instance on loopback, used as a real SMTP peer by the relay
# mailer tests (src/delivery/smtp_relay_mailer_test.cpp).
#
#   postfix.sh start DIR PORT [--no-tls]   configure and start an instance living only in DIR
#   postfix.sh stop DIR                    stop it and kill whatever is left of it
#
# Everything (config, queue, data, TLS key, delivered mail, log) stays inside DIR; the system's
# default instance (/etc/postfix/main.cf) is neither configured nor started. Needs root (Postfix
# drops to the `postfix` user itself). Installs Debian's postfix package when it is missing.
#
# Layout of DIR after `start`:
#   etc/            main.cf, master.cf, vmailbox, recipient_access (+ .db)
#   tls/cert.pem    self-signed certificate for "localhost" (the test's CA file); tls/key.pem
#   tls/other.pem   an unrelated self-signed certificate (a CA file that must NOT verify the relay)
#   mail/<domain>/<user>/{new,cur,tmp}   Maildirs of delivered mail
#   maillog         Postfix's own log
#
# The instance accepts mail for example.org and example.net only (virtual mailbox domains:
# alice@example.org, bob@example.org, reject@example.org, tempfail@example.org,
# carol@, dave@, erin@ and frank@example.net; and any address at sink.test, all into one Maildir
# mail/sink.test/all — for benchmarks); it relays nothing and sends nothing anywhere (no smtp
# client, no local delivery, no bounces leave the box). Recipient policy:
#   reject@example.org    -> 554 5.7.1 (access map REJECT)
#   tempfail@example.org  -> 450 4.7.1 (access map, transient)
#   anyone else unknown   -> 550 5.1.1 (not in the virtual mailbox table)
# With --no-tls the listener does not offer STARTTLS (smtpd_tls_security_level = none).
set -euo pipefail

die() {
  echo "postfix.sh: $*" >&2
  exit 1
}

usage() {
  die "usage: $0 start DIR PORT [--no-tls] | stop DIR"
}

POSTFIX=/usr/sbin/postfix
POSTMAP=/usr/sbin/postmap

ensure_installed() {
  have() {
    [[ -x $POSTFIX && -x $POSTMAP && -x /usr/lib/postfix/sbin/master ]] \
      && command -v openssl >/dev/null
  }
  have && return
  command -v apt-get >/dev/null || die "postfix is not installed and apt-get is not available"
  # Serialise concurrent test processes around dpkg.
  exec 9>/var/lock/sealpost-postfix-install.lock
  flock 9
  if ! have; then
    local had_postfix=no
    [[ -x $POSTFIX ]] && had_postfix=yes
    echo "postfix.sh: installing Debian's postfix package" >&2
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postfix \
      openssl >&2; then
      apt-get update >&2
      DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postfix openssl \
        >&2 || die "could not install postfix"
    fi
    # "No configuration" leaves /etc/postfix/main.cf absent, so the default instance cannot run;
    # should a service manager have started it anyway, stop it again (only one we just installed).
    if [[ $had_postfix == no && -f /etc/postfix/main.cf ]] && $POSTFIX status >/dev/null 2>&1; then
      $POSTFIX stop >&2 || true
    fi
  fi
  flock -u 9
}

make_cert() {  # make_cert OUT_CERT OUT_KEY CN
  local conf
  conf=$(mktemp)
  cat >"$conf" <<EOF
[req]
distinguished_name = dn
prompt = no
x509_extensions = ext
[dn]
CN = $3
[ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:$3
subjectKeyIdentifier = hash
EOF
  openssl req -x509 -config "$conf" -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -days 2 -keyout "$2" -out "$1" 2>/dev/null || { rm -f "$conf"; die "openssl req failed"; }
  rm -f "$conf"
}

wait_for_banner() {  # wait_for_banner PORT SECONDS
  local deadline=$((SECONDS + $2)) line
  while ((SECONDS < deadline)); do
    if line=$(timeout 3 bash -c \
      "exec 3<>/dev/tcp/127.0.0.1/$1 && head -n1 <&3 && printf 'QUIT\r\n' >&3" 2>/dev/null) \
      && [[ $line == 220* ]]; then
      return 0
    fi
    sleep 0.2
  done
  return 1
}

cmd_start() {
  local dir=$1 port=$2 tls_level=may
  case ${3:-} in
    "") ;;
    --no-tls) tls_level=none ;;
    *) usage ;;
  esac
  if ! [[ $port =~ ^[0-9]+$ ]] || ((port < 1 || port > 65535)); then die "bad port: $port"; fi
  [[ $(id -u) == 0 ]] || die "must run as root (Postfix needs it to drop to the postfix user)"
  ensure_installed
  getent passwd postfix >/dev/null || die "no postfix user"

  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd -P)
  [[ -e $dir/etc/main.cf ]] && die "$dir already holds an instance"
  # Postfix daemons run as `postfix` and virtual(8) as nobody: they must be able to reach DIR.
  chmod 0755 "$dir"
  setpriv --reuid=nobody --regid=nogroup --clear-groups test -x "$dir" \
    || die "$dir is not reachable by unprivileged users (a parent directory lacks o+x)"
  mkdir -p "$dir/etc" "$dir/tls" "$dir/mail" "$dir/spool" "$dir/data"
  chown nobody:nogroup "$dir/mail"
  chown postfix:postfix "$dir/data"
  chmod 0700 "$dir/tls"

  make_cert "$dir/tls/cert.pem" "$dir/tls/key.pem" localhost
  make_cert "$dir/tls/other.pem" "$dir/tls/other-key.pem" localhost
  rm -f "$dir/tls/other-key.pem"

  local nobody_uid nogroup_gid
  nobody_uid=$(id -u nobody)
  nogroup_gid=$(getent group nogroup | cut -d: -f3)

  cat >"$dir/etc/main.cf" <<EOF
# Private test instance for Sealpost (tests/postfix/postfix.sh). Not the system's Postfix.
compatibility_level = 3.6
queue_directory = $dir/spool
data_directory = $dir/data
mail_owner = postfix
setgid_group = postdrop
maillog_file_prefixes = $dir
maillog_file = $dir/maillog

myhostname = relay.sealpost.test
mydomain = sealpost.test
myorigin = \$myhostname
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_banner = \$myhostname ESMTP sealpost-test
biff = no

# example.org and example.net are this instance's final destinations, delivered into Maildirs
# under $dir/mail. A domain belongs to exactly one address class, so they are virtual mailbox
# domains rather than mydestination (which would need Unix accounts for local(8)).
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
virtual_mailbox_domains = example.org example.net sink.test
virtual_mailbox_base = $dir/mail
virtual_mailbox_maps = hash:$dir/etc/vmailbox
virtual_uid_maps = static:$nobody_uid
virtual_gid_maps = static:$nogroup_gid

# Nothing leaves the box: no relaying, no SMTP client, no local delivery; bounces die here.
local_transport = error:5.1.1 local delivery is disabled in this test instance
relay_transport = error:5.7.1 relaying is disabled in this test instance
default_transport = error:5.7.1 outside delivery is disabled in this test instance
relay_domains =
notify_classes =
delay_warning_time = 0
smtpd_relay_restrictions = reject_unauth_destination
smtpd_recipient_restrictions = check_recipient_access hash:$dir/etc/recipient_access
smtpd_sasl_auth_enable = no

smtpd_tls_security_level = $tls_level
smtpd_tls_cert_file = $dir/tls/cert.pem
smtpd_tls_key_file = $dir/tls/key.pem
smtpd_tls_received_header = yes
smtpd_tls_loglevel = 1
EOF

  # Only one network listener: smtpd on 127.0.0.1:PORT. Everything else is a local socket or
  # FIFO inside the queue directory. No chroot (the queue directory is not prepared for one).
  cat >"$dir/etc/master.cf" <<EOF
# service type  private unpriv  chroot  wakeup  maxproc command + args
127.0.0.1:$port inet n  -       n       -       -       smtpd
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
virtual   unix  -       n       n       -       -       virtual
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF

  cat >"$dir/etc/vmailbox" <<EOF
alice@example.org     example.org/alice/
bob@example.org       example.org/bob/
reject@example.org    example.org/reject/
tempfail@example.org  example.org/tempfail/
carol@example.net     example.net/carol/
dave@example.net      example.net/dave/
erin@example.net      example.net/erin/
frank@example.net     example.net/frank/
@sink.test            sink.test/all/
EOF
  cat >"$dir/etc/recipient_access" <<EOF
reject@example.org    REJECT rejected by test policy
tempfail@example.org  450 4.7.1 try again later (test policy)
EOF
  $POSTMAP -c "$dir/etc" "hash:$dir/etc/vmailbox"
  $POSTMAP -c "$dir/etc" "hash:$dir/etc/recipient_access"

  if ! $POSTFIX -c "$dir/etc" start >"$dir/start.log" 2>&1; then
    cat "$dir/start.log" >&2
    die "postfix -c $dir/etc start failed"
  fi
  if ! wait_for_banner "$port" 15; then
    [[ -f $dir/maillog ]] && tail -n 30 "$dir/maillog" >&2
    cmd_stop "$dir" || true
    die "postfix started but 127.0.0.1:$port does not answer with 220"
  fi
  echo "postfix.sh: instance in $dir listening on 127.0.0.1:$port (tls=$tls_level)" >&2
}

cmd_stop() {
  local dir=$1 pid=""
  [[ -d $dir ]] || return 0
  dir=$(cd "$dir" && pwd -P)
  [[ -f $dir/etc/main.cf ]] || return 0
  if [[ -f $dir/spool/pid/master.pid ]]; then
    pid=$(tr -dc '0-9' <"$dir/spool/pid/master.pid")
    # A stale pid file must not make us signal an unrelated process.
    [[ -n $pid && $(readlink "/proc/$pid/exe" 2>/dev/null) == /usr/lib/postfix/sbin/master ]] \
      || pid=""
  fi
  # What `postfix stop` does (SIGTERM to the master, which stops its children), but polling every
  # 0.1 s instead of postfix-script's 1 s. The master is a session leader (setsid): its children
  # share its process group, so whatever of that group is left afterwards is this instance's.
  if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
  else
    $POSTFIX -c "$dir/etc" stop >/dev/null 2>&1 || true
  fi
  if [[ -n $pid ]]; then
    local p exe
    for p in $pid $(pgrep -g "$pid" 2>/dev/null || true); do
      exe=$(readlink "/proc/$p/exe" 2>/dev/null || true)
      if [[ $exe == /usr/lib/postfix/* ]]; then kill -KILL "$p" 2>/dev/null || true; fi
    done
  fi
  return 0
}

[[ $# -ge 1 ]] || usage
case $1 in
  start)
    [[ $# -ge 3 && $# -le 4 ]] || usage
    cmd_start "$2" "$3" "${4:-}"
    ;;
  stop)
    [[ $# -eq 2 ]] || usage
    cmd_stop "$2"
    ;;
  *) usage ;;
esac
