#!/usr/bin/env bash
# Test certificate: a self-signed EC (P-256) certificate for CN (default mx.example.test) with the
# subjectAltNames CN, localhost, 127.0.0.1 and ::1. Kept if it is already there.
# usage: gen-cert.sh [DIR [CN]]     DIR defaults to $PEERS_CERTS, else <state>/certs, where
#        <state> = $SMTPCLIENT_PEER_STATE or <repo>/target/peers.
# writes DIR/CN.key, DIR/CN.crt, DIR/CN.tlsa311 (hex SHA-256 of the SPKI, for a "3 1 1" TLSA record)
# and prints the path of the .crt. Safe to run concurrently on the same DIR (flock).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
state=${SMTPCLIENT_PEER_STATE:-$repo/target/peers}
dir=${1:-${PEERS_CERTS:-$state/certs}}; cn=${2:-mx.example.test}
mkdir -p "$dir"
exec 9>"$dir/.lock"; flock 9
if [ ! -s "$dir/$cn.crt" ] || [ ! -s "$dir/$cn.key" ]; then
  tmp=$(mktemp -d "$dir/.gen.XXXXXX")
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$tmp/key" -out "$tmp/crt" -days 3650 -subj "/CN=$cn" \
    -addext "subjectAltName=DNS:$cn,DNS:localhost,IP:127.0.0.1,IP:::1" 2>"$tmp/err" ||
    { cat "$tmp/err" >&2; rm -rf "$tmp"; exit 1; }
  chmod 644 "$tmp/key"   # test-only key; daemons running as other users must read it
  mv "$tmp/key" "$dir/$cn.key"; mv "$tmp/crt" "$dir/$cn.crt"; rm -rf "$tmp"
fi
openssl x509 -in "$dir/$cn.crt" -noout -pubkey | openssl pkey -pubin -outform DER \
  | openssl dgst -sha256 -r | cut -d' ' -f1 > "$dir/$cn.tlsa311"
echo "$dir/$cn.crt"
