#!/usr/bin/env bash
# Postfix test peer on loopback: its own instance (`postfix -c DIR`), no systemd, no syslog,
# queue, data, Maildir and log all under one directory. Accepts mail for ANY domain.
# Needs the Debian packages postfix sasl2-bin libsasl2-modules (scripts/install-peers.sh) and root.
#
# usage: postfix-peer.sh start|stop|status|log|dir
#   start   writes the config, starts Postfix, waits until every listener answers 220
#   stop    stops it and drops its entry from /etc/postfix/main.cf again
#   log     prints its maillog;  dir  prints its directory
# env: SMTPCLIENT_PEER_STATE  state root (default <repo>/target/peers)
#      PF_DIR       instance directory (default <state>/postfix). It and all its parents must be
#                   traversable by the postfix and nobody users: when they are not (say the repo
#                   lives under /root), the instance goes to /var/tmp/smtpclient-postfix-<hash of
#                   PF_DIR> instead; `dir` prints where.
#      PEERS_CERTS  certificate dir (default <state>/certs; share it with dns-peer.sh so the TLSA
#                   records match the certificate Postfix serves)
#      PF_SMTP      127.0.0.1:2525  MX: STARTTLS offered, no AUTH
#      PF_SUB       127.0.0.1:5870  submission: STARTTLS required, then AUTH; relaying needs AUTH
#      PF_SUBS      127.0.0.1:4650  submissions: implicit TLS + AUTH
#      PF_SIZE      10485760        message_size_limit (SIZE is enforced at MAIL: 552 5.3.4)
#      PF_RCPT_LIMIT 1000           smtpd_recipient_limit (beyond it: 452 4.5.3 too many recipients)
#      PF_USER / PF_PASS  user@example.test / secret  (Cyrus sasldb: PLAIN LOGIN CRAM-MD5
#                   SCRAM-SHA-1 SCRAM-SHA-256)
# Every message lands in ONE Maildir: <dir>/mail/sink/new/ (X-Original-To/Delivered-To name the
# recipient; Postfix stores LF line endings and prepends Return-Path, Received, ...).
# Scripted recipients: reject550@* defer451@* reject552@* get those replies at RCPT.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
state=${SMTPCLIENT_PEER_STATE:-$repo/target/peers}
D=${PF_DIR:-$state/postfix}
SMTP=${PF_SMTP:-127.0.0.1:2525}; SUB=${PF_SUB:-127.0.0.1:5870}; SUBS=${PF_SUBS:-127.0.0.1:4650}
C=${PEERS_CERTS:-$state/certs}
SIZE=${PF_SIZE:-10485760}; RCPT_LIMIT=${PF_RCPT_LIMIT:-1000}; U=${PF_USER:-user@example.test}; P=${PF_PASS:-secret}

traversable() { # can user $2 reach directory $1 (x on it and on every parent)?
  local p; p=$(realpath -m "$1")
  while :; do
    if [ -e "$p" ]; then runuser -u "$2" -- test -x "$p" || return 1; fi
    [ "$p" = / ] && return 0; p=$(dirname "$p")
  done
}
origin=$(realpath -m "$D")
if ! traversable "$D" postfix || ! traversable "$D" nobody; then
  D=/var/tmp/smtpclient-postfix-$(printf %s "$origin" | sha256sum | cut -c1-12)
fi
if ! traversable "$C" postfix; then
  C2=$D/certs   # the key/cert must be readable by Postfix too: use a copy
fi

main_cf_lock() { exec 8>/etc/postfix/.smtpclient-peer.lock; flock 8; }

wait_listening() { # host:port -> waits up to 10 s for a 220 greeting (implicit TLS: for the port)
  local hp=$1 tls=${2:-} h p i
  h=${hp%:*}; p=${hp##*:}; h=${h#[}; h=${h%]}
  for i in $(seq 100); do
    if [ -n "$tls" ]; then
      timeout 2 bash -c "exec 3<>/dev/tcp/$h/$p" 2>/dev/null && return 0
    else
      [ "$(timeout 2 bash -c "exec 3<>/dev/tcp/$h/$p; head -c 3 <&3" 2>/dev/null)" = 220 ] && return 0
    fi
    sleep 0.1
  done
  echo "postfix-peer: nothing answers on $hp" >&2; return 1
}

start() {
  mkdir -p "$D"/{etc/sasl,queue,data,mail}
  chmod 755 "$D"
  echo "$origin" > "$D/.origin"   # where it was asked to live (for cleanups of the fallback)
  "$here/gen-cert.sh" "$C" mx.example.test >/dev/null
  if [ -n "${C2:-}" ]; then mkdir -p "$C2"; cp "$C"/mx.example.test.{crt,key} "$C2/"; C=$C2; fi
  # Postfix only accepts "-c dir" for dirs listed in the default main.cf.
  mkdir -p /etc/postfix
  ( main_cf_lock
    touch /etc/postfix/main.cf
    cur=$(postconf -h alternate_config_directories 2>/dev/null || true)
    case " $cur " in *" $D/etc "*) ;; *) postconf -e "alternate_config_directories = ${cur:+$cur }$D/etc";; esac )
  cat > "$D/etc/main.cf" <<EOF2
compatibility_level = 3.6
queue_directory = $D/queue
data_directory = $D/data
maillog_file = $D/maillog
maillog_file_prefixes = /var, /dev/stdout, $D
myhostname = mx.example.test
mydomain = example.test
mydestination =
local_recipient_maps =
inet_interfaces = all
inet_protocols = all
mynetworks = 127.0.0.0/8 [::1]/128
smtputf8_enable = yes
message_size_limit = $SIZE
smtpd_recipient_limit = $RCPT_LIMIT
virtual_mailbox_limit = 0
mailbox_size_limit = 0
# catch-all sink: every domain is a virtual mailbox domain
virtual_mailbox_domains = regexp:$D/etc/vdomains
virtual_mailbox_base = $D/mail
# one Maildir for everything (virtual(8) forbids regexp substitution in mailbox maps)
virtual_mailbox_maps = static:sink/
virtual_uid_maps = static:65534
virtual_gid_maps = static:65534
smtpd_banner = \$myhostname ESMTP test-postfix
smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination
smtpd_recipient_restrictions = check_recipient_access regexp:$D/etc/rcpt_access, permit
smtpd_tls_cert_file = $C/mx.example.test.crt
smtpd_tls_key_file = $C/mx.example.test.key
smtpd_tls_security_level = may
smtpd_tls_received_header = yes
smtpd_tls_loglevel = 1
# ask for a client certificate (never required): the log shows "client-signature" when one came
smtpd_tls_ask_ccert = yes
smtpd_sasl_type = cyrus
smtpd_sasl_path = smtpd
cyrus_sasl_config_path = $D/etc/sasl
smtpd_sasl_auth_enable = no
smtpd_sasl_authenticated_header = yes
# never deliver anywhere but the local sink
default_transport = error:test peer delivers nothing off this host
relay_transport = error:test peer delivers nothing off this host
EOF2
  cat > "$D/etc/master.cf" <<EOF2
$SMTP      inet  n - n - - smtpd
$SUB       inet  n - n - - smtpd
  -o syslog_name=postfix/submission
  -o smtpd_tls_security_level=encrypt
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_tls_auth_only=yes
  -o smtpd_client_restrictions=permit_sasl_authenticated,reject
$SUBS      inet  n - n - - smtpd
  -o syslog_name=postfix/submissions
  -o smtpd_tls_wrappermode=yes
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_client_restrictions=permit_sasl_authenticated,reject
pickup    unix  n - n 60 1 pickup
cleanup   unix  n - n - 0 cleanup
qmgr      unix  n - n 300 1 qmgr
tlsmgr    unix  - - n 1000? 1 tlsmgr
rewrite   unix  - - n - - trivial-rewrite
bounce    unix  - - n - 0 bounce
defer     unix  - - n - 0 bounce
trace     unix  - - n - 0 bounce
verify    unix  - - n - 1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n - - proxymap
smtp      unix  - - n - - smtp
relay     unix  - - n - - smtp
showq     unix  n - n - - showq
error     unix  - - n - - error
retry     unix  - - n - - error
discard   unix  - - n - - discard
local     unix  - n n - - local
virtual   unix  - n n - - virtual
anvil     unix  - - n - 1 anvil
scache    unix  - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
EOF2
  printf '/./ OK\n' > "$D/etc/vdomains"
  cat > "$D/etc/rcpt_access" <<'EOF2'
/^reject550@/ 550 5.1.1 test: no such user
/^defer451@/ 451 4.3.0 test: try again later
/^reject552@/ 552 5.2.2 test: mailbox full
EOF2
  cat > "$D/etc/sasl/smtpd.conf" <<EOF2
pwcheck_method: auxprop
auxprop_plugin: sasldb
mech_list: PLAIN LOGIN CRAM-MD5 SCRAM-SHA-1 SCRAM-SHA-256
sasldb_path: $D/etc/sasldb2
EOF2
  rm -f "$D/etc/sasldb2"
  echo -n "$P" | saslpasswd2 -p -c -f "$D/etc/sasldb2" -u "${U#*@}" "${U%@*}"
  chown root:postfix "$D/etc/sasldb2"; chmod 640 "$D/etc/sasldb2"; chown postfix "$D/data"
  chown nobody:nogroup "$D/mail"
  postfix -c "$D/etc" check
  postfix -c "$D/etc" start 2>&1 | grep -v 'starting the Postfix mail system' >&2 || true
  postfix -c "$D/etc" status >/dev/null 2>&1 || { echo "postfix-peer: did not start, see $D/maillog" >&2; cat "$D/maillog" >&2 2>/dev/null; return 1; }
  wait_listening "$SMTP"; wait_listening "$SUB"; wait_listening "$SUBS" tls
  echo "postfix peer: smtp $SMTP, submission $SUB, submissions $SUBS, maildir $D/mail/sink/new"
}
stop() {
  if [ -f "$D/etc/main.cf" ]; then
    postfix -c "$D/etc" stop 2>&1 | grep -v 'stopping the Postfix mail system' >&2 || true
  fi
  ( main_cf_lock
    [ -f /etc/postfix/main.cf ] || exit 0
    rest=$(postconf -h alternate_config_directories 2>/dev/null | tr ', ' '\n\n' | grep -vxF "$D/etc" | grep . | paste -sd' ' || true)
    postconf -e "alternate_config_directories = $rest" )
}
status() { postfix -c "$D/etc" status; }
case "${1:-}" in
  start) start;; stop) stop;; status) status;; log) cat "$D/maillog";; dir) echo "$D";;
  *) echo "usage: $0 start|stop|status|log|dir" >&2; exit 2;;
esac
