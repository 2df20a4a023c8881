//! Helpers shared by the host's integration tests: real peers on loopback.
//!
//! Use with `mod support;` in a test file. Real-peer tests start with
//! `if !support::peers_enabled("aiosmtpd") { return; }`: they run only when
//! `SMTPCLIENT_PEERS=1`, which `./scripts/test.sh` sets when it runs as root (inside a private
//! network namespace, with the peers installed). Otherwise they print a loud `SKIPPED` line.
//!
//! Environment (set by `scripts/test.sh`):
//! - `SMTPCLIENT_PEERS=1`: the real peers are installed and may be started.
//! - `SMTPCLIENT_PEER_PYTHON`: the Python with aiosmtpd (default `python3`).
//! - `SMTPCLIENT_PEER_DIR`: the peer scripts (default `<repo>/tests/peers`).
//! - `SMTPCLIENT_PEER_STATE`: where peers keep their state (default `<target>/tmp/peers`).
//!
//! Submodules: [`aiosmtpd`] (the scriptable Python peer), [`postfix`] (a real Postfix) and
//! [`dns`] (NSD + validating Unbound with DNSSEC-signed test zones), [`socks`] (SOCKS5
//! servers: microsocks, Dante), [`sts_peer`] (the MTA-STS policies of the DNS peers' zone).
#![allow(dead_code, unused_imports)] // each test crate uses a different part of this module

pub mod aiosmtpd;
pub mod certs;
pub mod dns;
pub mod end_to_end;
pub mod mail_peers;
pub mod policy_server;
pub mod postfix;
pub mod socks;
pub mod sts_peer;

pub use aiosmtpd::{Aiosmtpd, StoredMessage};
pub use certs::Certs;
pub use dns::{Dns, DnsConfig};
pub use mail_peers::{MailPeers, json_report, mail_peers, stored_with, token_message};
pub use postfix::{Postfix, PostfixConfig};
pub use socks::SocksServer;
pub use sts_peer::{StsPeer, sts_peer};

use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// True when the real peers may be used (`SMTPCLIENT_PEERS=1`). Otherwise prints
/// `SKIPPED <group>: ...` straight to stderr (not captured by the test harness) and returns false.
pub fn peers_enabled(group: &str) -> bool {
    if std::env::var("SMTPCLIENT_PEERS").as_deref() == Ok("1") {
        return true;
    }
    let test = std::thread::current().name().unwrap_or("?").to_string();
    // Written to the process's stderr directly: libtest only captures the print macros.
    let line = format!(
        "!!! SKIPPED {group} ({test}): needs real peers, run ./scripts/test.sh as root !!!\n"
    );
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
    false
}

/// The repository root.
pub fn repo_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("host-example lives in the repository")
        .to_path_buf()
}

/// The directory with the peer scripts (`SMTPCLIENT_PEER_DIR`, default `<repo>/tests/peers`).
pub fn peer_dir() -> PathBuf {
    std::env::var_os("SMTPCLIENT_PEER_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_dir().join("tests/peers"))
}

/// The Python interpreter with aiosmtpd (`SMTPCLIENT_PEER_PYTHON`, default `python3`).
pub fn peer_python() -> PathBuf {
    std::env::var_os("SMTPCLIENT_PEER_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("python3"))
}

/// Root directory for peer state (`SMTPCLIENT_PEER_STATE`, default `<target>/tmp/peers`).
pub fn state_dir() -> PathBuf {
    std::env::var_os("SMTPCLIENT_PEER_STATE")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_TARGET_TMPDIR")).join("peers"))
}

/// A fresh directory, removed (with its contents) on drop.
#[derive(Debug)]
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    /// A new empty directory under [`state_dir`], named `<prefix>-<pid>-<n>-<nanos>`.
    pub fn new(prefix: &str) -> TempDir {
        Self::new_in(&state_dir(), prefix)
    }

    pub fn new_in(parent: &Path, prefix: &str) -> TempDir {
        static N: AtomicU32 = AtomicU32::new(0);
        std::fs::create_dir_all(parent)
            .unwrap_or_else(|e| panic!("creating {}: {e}", parent.display()));
        loop {
            let nanos = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or(0);
            let name = format!(
                "{prefix}-{}-{}-{nanos:08x}",
                std::process::id(),
                N.fetch_add(1, Ordering::Relaxed)
            );
            let path = parent.join(name);
            match std::fs::create_dir(&path) {
                Ok(()) => return TempDir { path },
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => panic!("creating {}: {e}", path.display()),
            }
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Keeps the directory (for inspection after a failure) and returns its path.
    pub fn keep(self) -> PathBuf {
        let path = self.path.clone();
        std::mem::forget(self);
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// A TCP port on 127.0.0.1 that was free a moment ago (for peers that cannot pick their own).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("binding 127.0.0.1:0")
}

/// Distinct free ports (all bound at once, so they differ from each other).
pub fn free_ports(n: usize) -> Vec<u16> {
    let listeners: Vec<TcpListener> = (0..n)
        .map(|_| TcpListener::bind("127.0.0.1:0").expect("binding 127.0.0.1:0"))
        .collect();
    listeners
        .iter()
        .map(|l| l.local_addr().expect("local_addr").port())
        .collect()
}

/// Runs a peer script (`<peer dir>/<script> args...`) with extra environment; panics with its
/// output when it fails.
pub fn run_peer_script(script: &str, args: &[&str], envs: &[(&str, String)]) -> Output {
    let path = peer_dir().join(script);
    let started = Instant::now();
    let out = Command::new(&path)
        .args(args)
        .envs(envs.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", path.display()));
    if !out.status.success() {
        panic!(
            "{} {} failed ({}) after {:?}\nstdout:\n{}\nstderr:\n{}",
            path.display(),
            args.join(" "),
            out.status,
            started.elapsed(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    out
}

/// Polls `f` every 50 ms until it returns `Some` or `timeout` passes.
pub fn wait_for<T>(timeout: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
