//! The peers of the end-to-end tests of every host (host-example's command line, Python,
//! Node, `wasmtime run`): a real Postfix and NSD behind a validating Unbound sharing one
//! certificate (the zones' TLSA records match it), started once per test binary; and what
//! those tests read back: the JSON report with its exit code.

use super::{Certs, Dns, DnsConfig, Postfix, PostfixConfig};
use serde_json::Value;
use std::process::Output;
use std::sync::OnceLock;

/// Postfix and the DNS peers sharing their certificate.
pub struct MailPeers {
    pub postfix: Postfix,
    pub dns: Dns,
    pub certs: Certs,
}

/// The peers of this test binary, started on first use (the caller checks
/// `peers_enabled("postfix")` / `("dns")` first).
pub fn mail_peers() -> &'static MailPeers {
    static PEERS: OnceLock<MailPeers> = OnceLock::new();
    PEERS.get_or_init(|| {
        let certs = Certs::generate();
        let postfix = Postfix::start_with(Some(&certs), &PostfixConfig::default());
        let dns = Dns::start_with(Some(&certs), &DnsConfig::default());
        MailPeers {
            postfix,
            dns,
            certs,
        }
    })
}

/// The JSON report a command printed on stdout, after checking its exit code.
pub fn json_report(output: &Output, code: i32) -> Value {
    let stderr = String::from_utf8_lossy(&output.stderr);
    let report: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}\nstderr: {stderr}",
            String::from_utf8_lossy(&output.stdout)
        )
    });
    assert_eq!(
        output.status.code(),
        Some(code),
        "report: {report}\nstderr: {stderr}"
    );
    report
}
