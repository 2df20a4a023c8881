//! The peers of the end-to-end tests of every host (host-example's command line, Python,
//! Node, `wasmtime run`): a real Postfix and NSD behind a validating Unbound sharing one
//! certificate (the zones' TLSA records match it), started once per test binary; and what
//! those tests read back: the JSON report with its exit code.

use super::{Certs, Dns, DnsConfig, Postfix, PostfixConfig};
use serde_json::Value;
use std::process::Output;
use std::sync::OnceLock;
use std::time::Duration;

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

/// The message with `token`, as sent (CRLF) and as Postfix's Maildir stores it (LF, behind the
/// headers Postfix prepends; with Date and Message-ID present it adds none inside).
pub fn token_message(token: &str) -> (Vec<u8>, Vec<u8>) {
    let sent = format!(
        "From: a@example.org\r\nTo: b@example.test\r\nSubject: {token}\r\n\
         Date: Fri, 4 Dec 2026 12:00:00 +0000\r\nMessage-ID: <{token}@client.example.test>\r\n\
         \r\n{token}\r\n.dot\r\n..two\r\nend\r\n"
    );
    let stored = sent.replace("\r\n", "\n").into_bytes();
    (sent.into_bytes(), stored)
}

/// The stored messages that contain `token`, after waiting up to 10 s for `n` of them.
pub fn stored_with(token: &str, n: usize) -> Vec<Vec<u8>> {
    let find = || {
        mail_peers()
            .postfix
            .messages_now()
            .into_iter()
            .filter(|m| String::from_utf8_lossy(m).contains(token))
            .collect::<Vec<_>>()
    };
    super::wait_for(Duration::from_secs(10), || {
        let found = find();
        (found.len() >= n).then_some(found)
    })
    .unwrap_or_else(find)
}
