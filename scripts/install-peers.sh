#!/usr/bin/env bash
# Installs what the real-peer tests need: Debian packages (Postfix + Cyrus SASL, NSD, Unbound,
# ldns tools, openssl, iproute2, python3-venv, the SOCKS5 servers Dante and microsocks), a
# Python venv with aiosmtpd and the Python host's packages (the wasmtime wheel, dnspython) for
# host-example/tests/host_python.rs, and the Node.js host (hosts/node: `npm ci`, then `npm run
# build` to transpile the component built by cargo), and the `wasmtime` CLI (48.0.8, the host's
# version; `cargo install --locked` with the features `wasmtime run` needs, only when missing)
# for host-example/tests/wasmtime_run.rs.
# Idempotent and fast when everything is there: packages are checked with dpkg-query,
# `apt-get update` runs only when something is missing, the venv is reused.
# Needs root and apt-get (Debian 12). Never starts a service.
#
# usage: scripts/install-peers.sh            (env: PEERS_VENV, default <repo>/target/peers-venv)
# prints the wasmtime CLI's path as "PEERS_WASMTIME <path>" and the venv's python path on its
# last line as "PEERS_PYTHON <path>"
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
venv=${PEERS_VENV:-$repo/target/peers-venv}
PKGS=(postfix sasl2-bin libsasl2-modules nsd unbound ldnsutils openssl python3-venv iproute2
  dante-server microsocks)
PIP_PKGS=(aiosmtpd wasmtime==50.0.1 dnspython)

now() { date +%s.%N; }
took() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.1f s", b-a}'; }

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "install-peers: needs root and apt-get" >&2; exit 1
fi

# one install at a time (parallel runs of the test command share the venv and dpkg)
mkdir -p "$(dirname "$venv")"
exec 9>"$(dirname "$venv")/.peers-install.lock"; flock 9

# ---- Debian packages ------------------------------------------------------------------------
t=$(now)
missing=()
for p in "${PKGS[@]}"; do
  [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)" = installed ] || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "apt: all ${#PKGS[@]} packages already installed ($(took "$t"))"
else
  echo "apt: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Postfix: no main.cf, nothing started. Our peers run their own instances with `postfix -c`.
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  # Never start the packages' services (no init here anyway; a policy-rc.d makes it explicit).
  own_policy=
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d; own_policy=1
  fi
  trap 'if [ -n "$own_policy" ]; then rm -f /usr/sbin/policy-rc.d; fi' EXIT
  t1=$(now)
  apt-get update -q >/dev/null
  echo "apt: update took $(took "$t1")"
  t1=$(now)
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
  echo "apt: install took $(took "$t1")"
fi

# ---- Python venv with aiosmtpd, wasmtime, dnspython -----------------------------------------
t=$(now)
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c \
     'import aiosmtpd, dns.message, importlib.metadata as m; assert m.version("wasmtime") == "50.0.1"' 2>/dev/null; then
  echo "venv: $venv ready ($(took "$t"))"
else
  rm -rf "$venv"
  # Debian's python3 (python3-venv installed above); fall back to whatever python3 is on PATH.
  py=/usr/bin/python3; [ -x "$py" ] || py=$(command -v python3)
  "$py" -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "${PIP_PKGS[@]}"
  echo "venv: created $venv with ${PIP_PKGS[*]} ($(took "$t"))"
fi
# ---- Node.js host: npm packages, and jco's transpile of the freshly built component ------------
t=$(now)
node_dir=$repo/hosts/node
component=${SMTPCLIENT_COMPONENT:-$repo/target/component/wasm32-wasip2/component/smtpclient.wasm}
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "node: node or npm missing: the Node.js host tests (host_node) will fail" >&2
else
  if [ ! -f "$node_dir/node_modules/.package-lock.json" ] \
     || [ "$node_dir/package-lock.json" -nt "$node_dir/node_modules/.package-lock.json" ]; then
    (cd "$node_dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
  if [ -f "$component" ] && ! cmp -s "$component" "$node_dir/generated/smtpclient.wasm"; then
    (cd "$node_dir" && SMTPCLIENT_COMPONENT="$component" npm run --silent build)
  fi
  echo "node: $(node --version), hosts/node installed and built ($(took "$t"))"
fi
# ---- the wasmtime CLI, for the composed file under `wasmtime run` ------------------------------
t=$(now)
WASMTIME_VERSION=48.0.8
cargo_bin=${CARGO_HOME:-$HOME/.cargo}/bin
wasmtime=$(command -v wasmtime || echo "$cargo_bin/wasmtime")
if [ -x "$wasmtime" ] && [ "$("$wasmtime" --version | cut -d" " -f2)" = "$WASMTIME_VERSION" ]; then
  echo "wasmtime: $("$wasmtime" --version) ready ($(took "$t"))"
else
  # Only what `wasmtime run` of a component needs: a third of the default build.
  cargo install --locked --quiet wasmtime-cli --version "$WASMTIME_VERSION" --no-default-features \
    --features run,cranelift,component-model,cache,config,parallel-compilation
  wasmtime=$cargo_bin/wasmtime
  echo "wasmtime: installed $("$wasmtime" --version) ($(took "$t"))"
fi
echo "PEERS_WASMTIME $wasmtime"
echo "PEERS_PYTHON $venv/bin/python"
