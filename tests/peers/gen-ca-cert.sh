#!/usr/bin/env bash
# Test certificates for DANE-TA (RFC 7672 §3.1.2): a P-256 CA ("smtpclient test CA") and a P-256
# leaf it signs for CN (default mx.example.test; subjectAltName DNS:CN only).
# usage: gen-ca-cert.sh DIR [CN]
# writes DIR/CN.key, DIR/CN.crt (the leaf followed by the CA: the chain a server presents),
# DIR/ca.crt, and the data of TLSA records over the CA: DIR/ca.tlsa211 (SHA-256 of its SPKI),
# DIR/ca.tlsa200 (the whole certificate, DER in hex), DIR/ca.tlsa202 (SHA-512 of the DER).
set -euo pipefail
dir=$1; cn=${2:-mx.example.test}
mkdir -p "$dir"
tmp=$(mktemp -d "$dir/.gen.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
openssl req -x509 "${ec[@]}" -keyout "$tmp/ca.key" -out "$dir/ca.crt" -days 3650 \
  -subj "/CN=smtpclient test CA" -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign,cRLSign" 2>"$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
openssl req "${ec[@]}" -keyout "$tmp/leaf.key" -out "$tmp/leaf.csr" -subj "/CN=$cn" \
  2>"$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
printf 'subjectAltName=DNS:%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' "$cn" \
  >"$tmp/ext"
openssl x509 -req -in "$tmp/leaf.csr" -CA "$dir/ca.crt" -CAkey "$tmp/ca.key" -CAserial "$tmp/ca.srl" -CAcreateserial \
  -days 3650 -extfile "$tmp/ext" -out "$tmp/leaf.crt" 2>"$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
chmod 644 "$tmp/leaf.key"   # test-only key; daemons running as other users must read it
mv "$tmp/leaf.key" "$dir/$cn.key"
cat "$tmp/leaf.crt" "$dir/ca.crt" >"$dir/$cn.crt"
openssl x509 -in "$dir/ca.crt" -noout -pubkey | openssl pkey -pubin -outform DER \
  | openssl dgst -sha256 -r | cut -d' ' -f1 >"$dir/ca.tlsa211"
openssl x509 -in "$dir/ca.crt" -outform DER | od -An -v -tx1 | tr -d ' \n' >"$dir/ca.tlsa200"
openssl x509 -in "$dir/ca.crt" -outform DER | openssl dgst -sha512 -r | cut -d' ' -f1 \
  >"$dir/ca.tlsa202"
echo "$dir/$cn.crt"
