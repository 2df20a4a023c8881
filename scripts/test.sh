#!/usr/bin/env bash
# THE test command: ./scripts/test.sh [extra arguments for `cargo test`, e.g. a test name]
#
#   1. cargo fmt --check, cargo fetch, cargo clippy -D warnings, cargo build (release, all targets;
#      the root crate's build script builds the wasm component). All builds happen here, with the
#      network (crates.io) available.
#   2. As root with apt-get: installs the real peers (scripts/install-peers.sh: Postfix, NSD,
#      Unbound, ldns tools, openssl, iproute2, python3-venv; aiosmtpd in target/peers-venv).
#      Idempotent; fast when everything is already there.
#   3. Runs `cargo test --release --workspace --offline --no-fail-fast` inside a private network
#      namespace (only its own loopback: nothing can leave the machine; /etc/resolv.conf there
#      names 127.0.0.1), with SMTPCLIENT_PEERS=1 so the real-peer tests run, and
#      SMTPCLIENT_PEER_PYTHON, SMTPCLIENT_PEER_DIR, SMTPCLIENT_PEER_STATE for host-example's
#      tests/support module. What the tests leave running in the namespace is ended after.
#   Without root / apt-get / network namespaces (or with SMTPCLIENT_NO_PEERS=1) it runs
#   `cargo test --release --workspace` plainly and says LOUDLY which peer tests did not run.
# Exit code: the first failing lint/build step's, else cargo test's.
# env: SMTPCLIENT_NO_PEERS=1  skip the peer setup and the peer tests (loud banner)
#      SMTPCLIENT_TEST_TIMEOUT  limit for the cargo test step (default 45m)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

t_start=$(date +%s.%N)
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.1f s", b-a}'; }
section_t=
section() { # name
  section_t=$(now)
  printf '\n==== %s ====\n' "$1"
}
done_section() { printf '==== done in %s (total %s) ====\n' "$(since "$section_t")" "$(since "$t_start")"; }
fail() { printf '\n==== FAILED: %s (after %s) ====\n' "$1" "$(since "$t_start")" >&2; exit "${2:-1}"; }
step() { # name, command...: runs a step, exits with its status if it fails
  local name=$1; shift
  section "$name"
  local rc=0; "$@" || rc=$?
  [ "$rc" = 0 ] || fail "$name" "$rc"
  done_section
}
banner() { # lines...
  local line; printf '\n' >&2
  printf '%s\n' "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!" >&2
  for line in "$@"; do printf '!!! %s\n' "$line" >&2; done
  printf '%s\n' "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!" >&2
}
# The groups of real-peer tests (each test calls support::peers_enabled("<group>")).
PEER_GROUPS=(
  "aiosmtpd: scripted SMTP server (Python aiosmtpd) -- delivery, replies, TLS, AUTH"
  "postfix:  a real Postfix -- MX, submission with STARTTLS/AUTH (SCRAM), SIZE, SMTPUTF8"
  "dns:      NSD + validating Unbound -- DNSSEC (AD flag), MX/TLSA lookups, DANE"
  "netns:    privileged ports on loopback in the namespace -- MTA-STS policy server on 443"
  "socks:    SOCKS5 servers (microsocks with a password, Dante with a refusing rule) -- --proxy"
  "python:   the Python host (hosts/python on the wasmtime wheel) against the peers above"
  "wasmtime: the composed smtpclient-cli.wasm under the wasmtime CLI against the peers above"
)

# ---- 1. lint and build (with the network) ---------------------------------------------------
step "cargo fmt --check" cargo fmt --all -- --check
step "cargo fetch" cargo fetch
step "cargo clippy (release, all targets, -D warnings)" \
  cargo clippy --release --workspace --all-targets -- -D warnings
step "rustup target add wasm32-wasip2" rustup target add wasm32-wasip2
step "cargo clippy (the component, wasm32-wasip2, -D warnings)" \
  cargo clippy --profile component -p smtpclient --lib --target wasm32-wasip2 \
  --target-dir target/component -- -D warnings
step "cargo clippy (the wasi-run adapter and command, wasm32-wasip2, -D warnings)" \
  cargo clippy --profile component -p smtpclient-wasi-adapter -p smtpclient-wasi-command \
  --target wasm32-wasip2 --target-dir target/component -- -D warnings
step "cargo build (release, all targets)" cargo build --release --workspace --all-targets

# ---- 2. can we run the real peers? ----------------------------------------------------------
why_not=
if [ -n "${SMTPCLIENT_NO_PEERS:-}" ]; then why_not="SMTPCLIENT_NO_PEERS is set"
elif [ "$(id -u)" != 0 ]; then why_not="not running as root"
elif ! command -v apt-get >/dev/null 2>&1; then why_not="no apt-get (not Debian?)"
fi

ns=
state=
cleanup() {
  local rc=$?
  if [ -n "$ns" ]; then
    # end what our tests left running in our namespace (by pid), then drop the namespace
    local pids; pids=$(ip netns pids "$ns" 2>/dev/null || true)
    if [ -n "$pids" ]; then
      echo "cleanup: stopping leftover processes in $ns: $(echo $pids)" >&2
      kill $pids 2>/dev/null || true; sleep 1
      pids=$(ip netns pids "$ns" 2>/dev/null || true); [ -z "$pids" ] || kill -9 $pids 2>/dev/null || true
    fi
    ip netns del "$ns" 2>/dev/null || true
    rm -rf "/etc/netns/$ns"
    if [ -n "$state" ]; then
      if [ "$rc" = 0 ]; then
        # this run's peer state, and Postfix instances that had to live in /var/tmp (see
        # tests/peers/postfix-peer.sh: they name their origin)
        local f
        for f in /var/tmp/smtpclient-postfix-*/.origin; do
          [ -f "$f" ] && case "$(cat "$f")" in "$state"/*) rm -rf "$(dirname "$f")";; esac
        done
        rm -rf "$state"
      else
        echo "peer state kept for inspection: $state" >&2
      fi
    fi
    # forget Postfix instances whose directories are gone (alternate_config_directories)
    if [ -f /etc/postfix/main.cf ] && command -v postconf >/dev/null; then
      ( exec 8>/etc/postfix/.smtpclient-peer.lock; flock 8   # the lock postfix-peer.sh takes
        keep=()
        for d in $(postconf -h alternate_config_directories 2>/dev/null | tr ',' ' '); do
          [ ! -d "$d" ] || keep+=("$d")
        done
        postconf -e "alternate_config_directories = ${keep[*]}" 2>/dev/null || true )
    fi
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

peer_python=
if [ -z "$why_not" ]; then
  section "install real peers (apt + pip venv)"
  out=$(mktemp); rc=0
  "$repo/scripts/install-peers.sh" 2>&1 | tee "$out" || rc=$?
  peer_python=$(awk '/^PEERS_PYTHON /{print $2}' "$out")
  peer_wasmtime=$(awk '/^PEERS_WASMTIME /{print $2}' "$out"); rm -f "$out"
  if [ "$rc" != 0 ] || [ ! -x "$peer_python" ] || [ ! -x "$peer_wasmtime" ]; then
    fail "installing the real peers (set SMTPCLIENT_NO_PEERS=1 to run without them)" "${rc/#0/1}"
  fi
  done_section

  section "private network namespace"
  ns=smtpclient-test-$$
  if ip netns add "$ns" 2>/dev/null && ip -n "$ns" link set lo up; then
    mkdir -p "/etc/netns/$ns"
    echo "nameserver 127.0.0.1" > "/etc/netns/$ns/resolv.conf"   # bind-mounted by ip netns exec
    echo "namespace $ns: $(ip -n "$ns" -o link show | awk -F': ' '{printf "%s ", $2}')(no route off loopback)"
    done_section
  else
    ip netns del "$ns" 2>/dev/null || true; ns=
    why_not="cannot create a network namespace (ip netns add failed)"
  fi
fi

# ---- 3. tests --------------------------------------------------------------------------------
limit=${SMTPCLIENT_TEST_TIMEOUT:-45m}
rc=0
if [ -z "$why_not" ]; then
  state="$repo/target/peers/$ns"
  section "cargo test (release, offline, in netns $ns, real peers on)"
  ip netns exec "$ns" env SMTPCLIENT_PEERS=1 \
    SMTPCLIENT_PEER_PYTHON="$peer_python" \
    SMTPCLIENT_WASMTIME="$peer_wasmtime" \
    SMTPCLIENT_PEER_DIR="$repo/tests/peers" \
    SMTPCLIENT_PEER_STATE="$state" \
    CARGO_NET_OFFLINE=true \
    timeout --kill-after=30s "$limit" cargo test --release --workspace --offline --no-fail-fast "$@" || rc=$?
else
  banner "REAL-PEER TESTS NOT RUN: $why_not." \
         "Skipped groups (each such test prints a 'SKIPPED <group>' line and passes):" \
         "${PEER_GROUPS[@]/#/  - }" \
         "Run ./scripts/test.sh as root on Debian to run them."
  section "cargo test (release, WITHOUT real peers)"
  env -u SMTPCLIENT_PEERS timeout --kill-after=30s "$limit" cargo test --release --workspace --no-fail-fast "$@" || rc=$?
fi
[ "$rc" = 124 ] && echo "cargo test was stopped after $limit" >&2
if [ "$rc" = 0 ]; then
  done_section
  if [ -z "$why_not" ]; then
    printf '\n==== ALL PASSED, real peers included (total %s) ====\n' "$(since "$t_start")"
  else
    banner "PASSED, BUT WITHOUT THE REAL-PEER TESTS ($why_not)."
  fi
else
  fail "cargo test" "$rc"
fi
