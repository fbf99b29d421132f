#!/usr/bin/env bash
# A private, throw-away Postfix instance on loopback, used as a real SMTP peer by the relay
# mailer tests (src/delivery/smtp_relay_mailer_test.cpp).
#
#   postfix.sh start DIR PORT [OPTION...]  configure and start an instance living only in DIR
#   postfix.sh stop DIR                    stop it and kill whatever is left of it
#   postfix.sh make-ca CADIR               a test CA: CADIR/ca.pem (trust this), CADIR/ca-key.pem
#   postfix.sh install                     only make sure Debian's postfix package is installed
#                                          (smtp-source and smtp-sink, for load tests)
#
# Options of `start` (the direct TLS delivery tests run one instance per certificate case):
#   --no-tls              do not offer STARTTLS (smtpd_tls_security_level = none)
#   --addr IP             listen on IP (a 127.0.0.0/8 address; default 127.0.0.1)
#   --cert-name NAME      the certificate's CN and DNS SAN (default localhost)
#   --ca CADIR            have the certificate signed by the CA of `make-ca CADIR` (default:
#                         self-signed)
#   --expired             with --ca: a certificate valid only in January 2020
#   --accept-domain D     also accept any address at D, into the Maildir mail/D/all (repeatable);
#                         reject@D and tempfail@D are refused like their example.org namesakes
#   --relayhost IP:PORT   the organisation's mail server in front of a smarthost: deliver nothing
#                         here but hand every message (any domain, example.org too) to IP:PORT
#                         (relayhost = [IP]:PORT, STARTTLS when offered, not verified); clients on
#                         127.0.0.0/8 may relay. Enables the smtp client transport.
#   --transport D=IP:PORT an outside server whose route to D is IP:PORT (transport map; D becomes
#                         a relay domain, no longer delivered here; repeatable). Enables the smtp
#                         client transport; every other destination outside stays disabled.
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
# client, no local delivery, no bounces leave the box) — unless --relayhost or --transport give
# it a next hop, which it then reaches with the smtp client (only those hops, only on loopback). Recipient policy:
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
  die "usage: $0 start DIR PORT [--no-tls] [--addr IP] [--cert-name NAME] [--ca CADIR]" \
    "[--expired] [--accept-domain D]... [--relayhost IP:PORT] [--transport D=IP:PORT]..." \
    "| stop DIR | make-ca CADIR"
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

cmd_make_ca() {  # cmd_make_ca CADIR
  mkdir -p "$1"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj "/CN=Sealpost test CA" -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -keyout "$1/ca-key.pem" -out "$1/ca.pem" 2>/dev/null || die "openssl req (CA) failed"
}

# make_signed_cert OUT_CERT OUT_KEY CN CADIR START END: a server certificate for CN signed by the
# CA in CADIR, valid from START to END (openssl ca's YYYYMMDDHHMMSSZ; "" = from now, 2 days).
make_signed_cert() {
  local work
  work=$(mktemp -d)
  mkdir "$work/new"
  : >"$work/index.txt"
  echo 01 >"$work/serial"
  cat >"$work/ca.cnf" <<EOF
[ca]
default_ca = test_ca
[test_ca]
database = $work/index.txt
new_certs_dir = $work/new
serial = $work/serial
default_md = sha256
default_days = 2
policy = any
unique_subject = no
[any]
commonName = supplied
[ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:$3
EOF
  local dates=()
  [[ -n $5 ]] && dates=(-startdate "$5" -enddate "$6")
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$3" \
    -keyout "$2" -out "$work/req.pem" 2>/dev/null || { rm -rf "$work"; die "openssl req failed"; }
  openssl ca -batch -config "$work/ca.cnf" -cert "$4/ca.pem" -keyfile "$4/ca-key.pem" \
    -in "$work/req.pem" -out "$1" -extensions ext -notext "${dates[@]}" 2>"$work/err" \
    || { cat "$work/err" >&2; rm -rf "$work"; die "openssl ca failed"; }
  rm -rf "$work"
}

wait_for_banner() {  # wait_for_banner PORT SECONDS [IP]
  local deadline=$((SECONDS + $2)) line ip=${3:-127.0.0.1}
  while ((SECONDS < deadline)); do
    if line=$(timeout 3 bash -c \
      "exec 3<>/dev/tcp/$ip/$1 && head -n1 <&3 && printf 'QUIT\r\n' >&3" 2>/dev/null) \
      && [[ $line == 220* ]]; then
      return 0
    fi
    sleep 0.2
  done
  return 1
}

cmd_start() {
  local dir=$1 port=$2 tls_level=may addr=127.0.0.1 cert_name=localhost ca_dir="" expired=no
  local accept_domains=() d relayhost="" transports=() t
  shift 2
  while (($#)); do
    case $1 in
      --no-tls) tls_level=none ;;
      --addr) addr=${2:?}; shift ;;
      --cert-name) cert_name=${2:?}; shift ;;
      --ca) ca_dir=${2:?}; shift ;;
      --expired) expired=yes ;;
      --accept-domain) accept_domains+=("${2:?}"); shift ;;
      --relayhost) relayhost=${2:?}; shift ;;
      --transport) transports+=("${2:?}"); shift ;;
      *) usage ;;
    esac
    shift
  done
  if ! [[ $port =~ ^[0-9]+$ ]] || ((port < 1 || port > 65535)); then die "bad port: $port"; fi
  [[ $addr =~ ^127\.[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "--addr must be a 127.0.0.0/8 address"
  [[ $cert_name =~ ^[A-Za-z0-9.-]+$ ]] || die "bad --cert-name: $cert_name"
  for d in "${accept_domains[@]}"; do
    [[ $d =~ ^[a-z0-9.-]+$ ]] || die "bad --accept-domain: $d"
  done
  [[ $expired == no || -n $ca_dir ]] || die "--expired needs --ca"
  # Next hops only on loopback: a test instance must never reach out.
  local hop_re='^127\.[0-9]+\.[0-9]+\.[0-9]+:[0-9]{1,5}$'
  [[ -z $relayhost || $relayhost =~ $hop_re ]] || die "--relayhost must be 127.x.y.z:PORT"
  local relay_domains=()
  for t in "${transports[@]}"; do
    [[ $t =~ ^([a-z0-9.-]+)=(.+)$ && ${BASH_REMATCH[2]} =~ $hop_re ]] \
      || die "--transport must be DOMAIN=127.x.y.z:PORT: $t"
    relay_domains+=("${t%%=*}")
  done
  [[ -z $relayhost || ${#transports[@]} -eq 0 ]] || die "--relayhost and --transport exclude each other"
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

  if [[ -n $ca_dir ]]; then
    ca_dir=$(cd "$ca_dir" && pwd -P)
    if [[ $expired == yes ]]; then
      make_signed_cert "$dir/tls/cert.pem" "$dir/tls/key.pem" "$cert_name" "$ca_dir" \
        20200101000000Z 20200201000000Z
    else
      make_signed_cert "$dir/tls/cert.pem" "$dir/tls/key.pem" "$cert_name" "$ca_dir" "" ""
    fi
  else
    make_cert "$dir/tls/cert.pem" "$dir/tls/key.pem" "$cert_name"
  fi
  make_cert "$dir/tls/other.pem" "$dir/tls/other-key.pem" localhost
  rm -f "$dir/tls/other-key.pem"

  # Which domains are delivered here, and how everything else goes (nowhere, by default).
  local mailbox_domains="" m
  for m in example.org example.net sink.test "${accept_domains[@]}"; do
    [[ -n $relayhost ]] && continue  # the organisation's server delivers nothing itself
    [[ " ${relay_domains[*]} " == *" $m "* ]] && continue
    mailbox_domains+="${mailbox_domains:+ }$m"
  done
  local routing='# Nothing leaves the box: no relaying, no SMTP client, no local delivery; bounces die here.
local_transport = error:5.1.1 local delivery is disabled in this test instance
relay_transport = error:5.7.1 relaying is disabled in this test instance
default_transport = error:5.7.1 outside delivery is disabled in this test instance
relay_domains =
smtpd_relay_restrictions = reject_unauth_destination'
  local smtp_client=""
  if [[ -n $relayhost ]]; then
    routing="# The organisation's mail server: everything goes to the relayhost; loopback clients relay.
local_transport = error:5.1.1 local delivery is disabled in this test instance
relayhost = [${relayhost%:*}]:${relayhost##*:}
relay_transport = smtp
default_transport = smtp
relay_domains =
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtp_tls_security_level = may
smtp_tls_loglevel = 1"
  elif ((${#transports[@]})); then
    routing="# An outside server: only the transport map's domains leave, to their loopback hop.
local_transport = error:5.1.1 local delivery is disabled in this test instance
relay_transport = error:5.7.1 relaying is disabled in this test instance
default_transport = error:5.7.1 outside delivery is disabled in this test instance
relay_domains = ${relay_domains[*]}
transport_maps = hash:$dir/etc/transport
smtpd_relay_restrictions = reject_unauth_destination
smtp_tls_security_level = may
smtp_tls_loglevel = 1"
  fi
  [[ -n $relayhost || ${#transports[@]} -gt 0 ]] \
    && smtp_client="smtp      unix  -       -       n       -       -       smtp"
  : >"$dir/etc/transport"
  for t in "${transports[@]}"; do
    local hop=${t#*=}
    printf '%s smtp:[%s]:%s\n' "${t%%=*}" "${hop%:*}" "${hop##*:}" >>"$dir/etc/transport"
  done

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
# Always 127.0.0.1 (Postfix wants an interface address here); master.cf binds the listener to
# --addr, which Linux accepts for any 127.0.0.0/8 address.
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_banner = \$myhostname ESMTP sealpost-test
biff = no

# example.org and example.net are this instance's final destinations (unless --relayhost or
# --transport route them elsewhere), delivered into Maildirs under $dir/mail. A domain belongs to exactly one address class, so they are virtual mailbox
# domains rather than mydestination (which would need Unix accounts for local(8)).
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
virtual_mailbox_domains = $mailbox_domains
virtual_mailbox_base = $dir/mail
virtual_mailbox_maps = hash:$dir/etc/vmailbox
virtual_uid_maps = static:$nobody_uid
virtual_gid_maps = static:$nogroup_gid

$routing
notify_classes =
delay_warning_time = 0
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
  # The smtp client only with --relayhost or --transport (its hops are checked to be loopback).
  cat >"$dir/etc/master.cf" <<EOF
# service type  private unpriv  chroot  wakeup  maxproc command + args
$addr:$port inet n  -       n       -       -       smtpd
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
$smtp_client
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
  for d in "${accept_domains[@]}"; do echo "@$d $d/all/" >>"$dir/etc/vmailbox"; done
  cat >"$dir/etc/recipient_access" <<EOF
reject@example.org    REJECT rejected by test policy
tempfail@example.org  450 4.7.1 try again later (test policy)
EOF
  for d in "${accept_domains[@]}"; do
    printf 'reject@%s REJECT rejected by test policy\ntempfail@%s 450 4.7.1 try again later\n' \
      "$d" "$d" >>"$dir/etc/recipient_access"
  done
  $POSTMAP -c "$dir/etc" "hash:$dir/etc/vmailbox"
  $POSTMAP -c "$dir/etc" "hash:$dir/etc/recipient_access"
  $POSTMAP -c "$dir/etc" "hash:$dir/etc/transport"

  if ! $POSTFIX -c "$dir/etc" start >"$dir/start.log" 2>&1; then
    cat "$dir/start.log" >&2
    die "postfix -c $dir/etc start failed"
  fi
  if ! wait_for_banner "$port" 15 "$addr"; then
    [[ -f $dir/maillog ]] && tail -n 30 "$dir/maillog" >&2
    cmd_stop "$dir" || true
    die "postfix started but $addr:$port does not answer with 220"
  fi
  echo "postfix.sh: instance in $dir listening on $addr:$port (tls=$tls_level)" \
    "${relayhost:+relayhost=$relayhost}${transports[*]:+transports=${transports[*]}}" >&2
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
    [[ $# -ge 3 ]] || usage
    shift
    cmd_start "$@"
    ;;
  stop)
    [[ $# -eq 2 ]] || usage
    cmd_stop "$2"
    ;;
  make-ca)
    [[ $# -eq 2 ]] || usage
    cmd_make_ca "$2"
    ;;
  install)
    [[ $# -eq 1 ]] || usage
    [[ $(id -u) == 0 ]] || die "must run as root to install postfix"
    ensure_installed
    ;;
  *) usage ;;
esac
