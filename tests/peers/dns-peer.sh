#!/usr/bin/env bash
# DNSSEC test DNS on loopback, no systemd: NSD (authoritative, 127.0.0.1:$AUTH_PORT) serving
# ldns-signed zones, behind Unbound (validating resolver, 127.0.0.1:$RES_PORT) whose only trust
# anchor is the DS of the test. zone. Needs the Debian packages nsd unbound ldnsutils openssl
# (scripts/install-peers.sh). Readiness and `check` use drill (ldnsutils), always at 127.0.0.1.
#
# usage: dns-peer.sh start|stop|check|dir
# env: SMTPCLIENT_PEER_STATE  state root (default <repo>/target/peers)
#      DNS_DIR      instance directory (default <state>/dns): zones, keys, configs, pids, logs
#      AUTH_PORT    5301 (NSD)     RES_PORT  5353 (Unbound; 53 inside a private netns)
#      PEERS_CERTS  dir with mx.example.test.crt (default <state>/certs, generated when missing);
#                   point postfix-peer.sh at the same dir so the TLSA records match its certificate
# Zones (all served by NSD; Unbound reaches them via stub-zones and REFUSES everything else, so no
# query ever leaves loopback):
#   test.           signed, trust anchor; holds DS for example.test and bogus.test, none for insecure.test
#   example.test.   signed       -> answers carry AD
#   insecure.test.  unsigned     -> provably insecure delegation, answers without AD
#   bogus.test.     signed with a key that does not match the DS in test. -> SERVFAIL
# example.test names: MX 10 mx; mx A 127.0.0.1 / AAAA ::1; TLSA 3 1 1 at _25._tcp.mx and
#   _2525._tcp.mx; mxalias CNAME mx; cnamemx MX mxalias; badtlsa MX mxbad (TLSA matching nothing);
#   mixed MX mx.insecure.test; nullmx MX 0 .; SRV _submission._tcp; TXT _mta-sts;
#   twomx MX 10 mxdown (127.0.0.2, refused) + MX 20 mx; unusable MX mxunusable (TLSA 1 1 1 only).
# insecure.test names: MX mx; www CNAME mx.example.test; sts and stsbad MX mx.example.test with
#   _mta-sts TXT records and mta-sts A 127.0.0.1 (the tests serve the policies).
#   test. also has xn--exmple-cua (exämple.test) MX 10 mx.example.test.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
state=${SMTPCLIENT_PEER_STATE:-$repo/target/peers}
D=${DNS_DIR:-$state/dns}
AP=${AUTH_PORT:-5301}; RP=${RES_PORT:-5353}
C=${PEERS_CERTS:-$state/certs}

zones() {
  local tlsa; tlsa=$(cat "$C/mx.example.test.tlsa311")
  cat > "$D/example.test.zone" <<EOF
\$ORIGIN example.test.
\$TTL 60
@        SOA  ns.test. hostmaster.example.test. 1 3600 600 86400 60
@        NS   ns.test.
@        MX   10 mx.example.test.
@        A    127.0.0.1
mx       A    127.0.0.1
mx       AAAA ::1
_25._tcp.mx  TLSA 3 1 1 $tlsa
_2525._tcp.mx TLSA 3 1 1 $tlsa
; MX host via CNAME (DANE: TLSA looked up at the CNAME target too)
mxalias  CNAME mx.example.test.
cnamemx  MX   10 mxalias.example.test.
; MX with a TLSA that matches nothing (DANE must fail)
badtlsa  MX   10 mxbad.example.test.
mxbad    A    127.0.0.1
_25._tcp.mxbad TLSA 3 1 1 0000000000000000000000000000000000000000000000000000000000000000
_2525._tcp.mxbad TLSA 3 1 1 0000000000000000000000000000000000000000000000000000000000000000
; secure MX pointing into the insecure zone
mixed    MX   10 mx.insecure.test.
nullmx   MX   0 .
; two MX hosts, the first refusing connections (nothing listens on 127.0.0.2)
twomx    MX   10 mxdown.example.test.
twomx    MX   20 mx.example.test.
mxdown   A    127.0.0.2
; TLSA records exist but none is usable (PKIX-EE only): TLS without verification
unusable MX   10 mxunusable.example.test.
mxunusable A  127.0.0.1
_25._tcp.mxunusable TLSA 1 1 1 $tlsa
_submission._tcp SRV 0 1 5870 mx.example.test.
_mta-sts TXT  "v=STSv1; id=1"
EOF
  cat > "$D/insecure.test.zone" <<EOF
\$ORIGIN insecure.test.
\$TTL 60
@        SOA  ns.test. hostmaster.insecure.test. 1 3600 600 86400 60
@        NS   ns.test.
@        MX   10 mx.insecure.test.
mx       A    127.0.0.1
mx       AAAA ::1
_25._tcp.mx  TLSA 3 1 1 $tlsa
www      CNAME mx.example.test.
; MTA-STS without DNSSEC: policies served on 127.0.0.1:443 by the test (enforce, MX listed or not)
sts      MX   10 mx.example.test.
_mta-sts.sts TXT "v=STSv1; id=20261128"
mta-sts.sts  A   127.0.0.1
stsbad   MX   10 mx.example.test.
_mta-sts.stsbad TXT "v=STSv1; id=1"
mta-sts.stsbad  A 127.0.0.1
EOF
  cat > "$D/bogus.test.zone" <<EOF
\$ORIGIN bogus.test.
\$TTL 60
@        SOA  ns.test. hostmaster.bogus.test. 1 3600 600 86400 60
@        NS   ns.test.
@        MX   10 mx.bogus.test.
mx       A    127.0.0.1
_25._tcp.mx  TLSA 3 1 1 $tlsa
EOF
  cat > "$D/test.zone" <<EOF
\$ORIGIN test.
\$TTL 60
@        SOA  ns.test. hostmaster.test. 1 3600 600 86400 60
@        NS   ns.test.
ns       A    127.0.0.1
example  NS   ns.test.
insecure NS   ns.test.
bogus    NS   ns.test.
; IDN domain (exämple.test) for SMTPUTF8 tests, MX into the signed zone
xn--exmple-cua MX 10 mx.example.test.
EOF
}

keygen() { # zone -> prints key base name (CSK: one KSK-flagged key signs everything)
  (cd "$D/keys" && ldns-keygen -a ECDSAP256SHA256 -k "$1")
}

start() {
  stop
  rm -rf "$D/keys" "$D"/*.zone "$D"/*.zone.signed "$D/trust-anchor.ds" "$D"/nsd.* "$D"/unbound.*
  mkdir -p "$D/keys"
  "$here/gen-cert.sh" "$C" mx.example.test >/dev/null
  zones
  kex=$(keygen example.test); kbogus_signer=$(keygen bogus.test); kbogus_ds=$(keygen bogus.test); ktest=$(keygen test)
  ldns-signzone -f "$D/example.test.zone.signed" "$D/example.test.zone" "$D/keys/$kex"
  ldns-signzone -f "$D/bogus.test.zone.signed" "$D/bogus.test.zone" "$D/keys/$kbogus_signer"
  cat "$D/keys/$kex.ds" "$D/keys/$kbogus_ds.ds" >> "$D/test.zone"      # bogus: DS of an unused key
  ldns-signzone -f "$D/test.zone.signed" "$D/test.zone" "$D/keys/$ktest"
  cp "$D/keys/$ktest.ds" "$D/trust-anchor.ds"
  cat > "$D/nsd.conf" <<EOF
server:
  ip-address: 127.0.0.1
  port: $AP
  username: ""
  chroot: ""
  zonesdir: "$D"
  database: ""
  zonelistfile: "$D/nsd.zonelist"
  xfrdfile: "$D/nsd.xfrd.state"
  xfrdir: "$D"
  pidfile: "$D/nsd.pid"
  logfile: "$D/nsd.log"
  server-count: 1
  verbosity: 1
remote-control:
  control-enable: no
zone:
  name: "test"
  zonefile: "test.zone.signed"
zone:
  name: "example.test"
  zonefile: "example.test.zone.signed"
zone:
  name: "bogus.test"
  zonefile: "bogus.test.zone.signed"
zone:
  name: "insecure.test"
  zonefile: "insecure.test.zone"
EOF
  cat > "$D/unbound.conf" <<EOF
server:
  interface: 127.0.0.1
  port: $RP
  do-ip6: no
  username: ""
  chroot: ""
  directory: "$D"
  pidfile: "$D/unbound.pid"
  logfile: "$D/unbound.log"
  use-syslog: no
  verbosity: 1
  val-log-level: 2
  num-threads: 1
  do-not-query-localhost: no
  access-control: 127.0.0.0/8 allow
  module-config: "validator iterator"
  trust-anchor-file: "$D/trust-anchor.ds"
  # nothing outside test. is ever resolved (no root priming, no traffic off loopback)
  local-zone: "." refuse
  local-zone: "test." transparent
  cache-max-ttl: 5
  cache-max-negative-ttl: 5
remote-control:
  control-enable: no
EOF
  for z in test example.test insecure.test bogus.test; do
    printf 'stub-zone:\n  name: "%s"\n  stub-addr: 127.0.0.1@%s\n' "$z" "$AP" >> "$D/unbound.conf"
  done
  nsd-checkconf "$D/nsd.conf"
  unbound-checkconf "$D/unbound.conf" >/dev/null
  nsd -c "$D/nsd.conf"                  # daemonizes, writes nsd.pid
  unbound -c "$D/unbound.conf"          # daemonizes, writes unbound.pid
  for i in $(seq 100); do
    timeout 2 drill -D -p "$RP" @127.0.0.1 SOA test. 2>/dev/null | grep -q '^;; flags: .*ad' && {
      echo "dns peer: NSD 127.0.0.1:$AP, Unbound 127.0.0.1:$RP, dir $D"; return 0; }
    sleep 0.1
  done
  echo "dns-peer: the resolver did not come up validating; logs:" >&2
  cat "$D/nsd.log" "$D/unbound.log" >&2 2>/dev/null; return 1
}

stop() {
  local p pid i
  for p in unbound nsd; do
    [ -s "$D/$p.pid" ] || continue
    pid=$(cat "$D/$p.pid"); kill "$pid" 2>/dev/null || continue
    for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    rm -f "$D/$p.pid"
  done
}

check() { # prints flags/rcode + answer per query
  q() { printf '%-48s ' "$*"; timeout 3 drill -D -p "$RP" @127.0.0.1 "$2" "$1" |
        awk '/^;; ->>HEADER/{rc=$6} /^;; flags:/{sub(/;; flags: /,"");sub(/;.*/,"");fl=$0}
             /^[^;].*IN/ && $4!="RRSIG" && $4!="NSEC" && $4!="SOA" && $4!="NSEC" {r=$4; for(i=5;i<=NF;i++) r=r" "$i; a=a" | "r} END{gsub(",","",rc); printf "%-9s [%s]%s\n", rc, fl, substr(a,1,110)}'; }
  q TLSA _25._tcp.mx.example.test
  q MX example.test
  q A mx.example.test
  q AAAA mx.example.test
  q CNAME mxalias.example.test
  q A mxalias.example.test
  q MX xn--exmple-cua.test
  q TLSA _25._tcp.nonexistent.example.test
  q MX insecure.test
  q TLSA _25._tcp.mx.insecure.test
  q A www.insecure.test
  q MX bogus.test
  q A example.com
}

case "${1:-}" in
  start) start;; stop) stop;; check) check;; dir) echo "$D";;
  *) echo "usage: $0 start|stop|check|dir" >&2; exit 2;;
esac
