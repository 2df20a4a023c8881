//! The end-to-end checks every command-line client passes against the mail peers (Node,
//! `wasmtime run`): a submission with STARTTLS and AUTH, an MX delivery with DANE, a wrong TLSA
//! record refused with nothing stored. The client is a closure that runs one subcommand with
//! its arguments (the password, when given, in `SMTP_PASSWORD` as the client passes it).

use super::Postfix;
use super::mail_peers::{json_report, mail_peers, stored_with, token_message};
use serde_json::Value;
use std::path::Path;
use std::process::Output;
use std::time::Duration;

/// Runs the client with these arguments and, when given, this `SMTP_PASSWORD`.
pub type Client<'a> = &'a dyn Fn(&[&str], Option<&str>) -> Output;

/// Submission to Postfix's port 587 with STARTTLS (PKIX against the test CA) and AUTH: every
/// recipient accepted, AUTH answered 235, the message stored as sent. `dir` holds the message.
pub fn submission_with_starttls_and_auth(client: Client, dir: &Path, token: &str) {
    let peers = mail_peers();
    let (sent, stored) = token_message(token);
    let message = dir.join(format!("{token}.eml"));
    std::fs::write(&message, &sent).expect("the message file");
    let server = format!("127.0.0.1:{}", peers.postfix.submission_port());
    let ca = peers.certs.cert();
    let args = [
        "send",
        "--server",
        &server,
        "--tls",
        "starttls",
        "--ca",
        ca.to_str().unwrap(),
        "--user",
        Postfix::USER,
        "--from",
        Postfix::USER,
        "--to",
        "b@example.test",
        "--message",
        message.to_str().unwrap(),
        "--ehlo",
        "client.example.test",
        "--timeout",
        "10",
        "--json",
    ];
    let report = json_report(&client(&args, Some(Postfix::PASSWORD)), 0);
    assert_eq!(report["status"], "delivered");
    assert_eq!(report["recipients"][0]["code"], 250);
    assert_eq!(report["tls"]["pkix_valid"], true, "{report}");
    assert!(
        report["tls"]["version"]
            .as_str()
            .is_some_and(|version| version.starts_with("TLSv1.")),
        "{report}"
    );
    // The component puts ChaCha20-Poly1305 first (the fastest inside wasm), and Postfix
    // (OpenSSL, `tls_preempt_cipherlist = no`) follows the client's order.
    assert_eq!(
        report["tls"]["cipher"], "TLS13_CHACHA20_POLY1305_SHA256",
        "{report}"
    );
    assert!(
        report["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["command"]["command"] == "auth" && e["command"]["code"] == 235),
        "{report}"
    );
    let found = stored_with(token, 1);
    assert_eq!(found.len(), 1);
    assert!(found[0].ends_with(&stored), "stored as sent");
}

/// `deliver` of the message with `token` to `to` through the test's Unbound (`--dns`) and
/// Postfix's MX port, with `extra` arguments; the report after checking the exit code.
fn deliver(client: Client, dir: &Path, token: &str, to: &str, extra: &[&str], code: i32) -> Value {
    let peers = mail_peers();
    let (sent, _) = token_message(token);
    let message = dir.join(format!("{token}.eml"));
    std::fs::write(&message, &sent).expect("the message file");
    let dns = peers.dns.resolver().to_string();
    let port = peers.postfix.smtp_port().to_string();
    let mut args = vec![
        "deliver",
        "--from",
        "sender@client.example.test",
        "--to",
        to,
        "--message",
        message.to_str().unwrap(),
        "--dns",
        &dns,
        "--port",
        &port,
        "--allow-private-addresses",
        "--ehlo",
        "client.example.test",
        "--timeout",
        "10",
        "--json",
    ];
    args.extend_from_slice(extra);
    json_report(&client(&args, None), code)
}

/// MX delivery to `example.test` (signed, TLSA 3 1 1 of Postfix's certificate): DANE
/// verified, one attempt, a TLS-RPT success, the message stored as sent.
pub fn mx_delivery_with_dane(client: Client, dir: &Path, token: &str, extra: &[&str]) {
    let report = deliver(client, dir, token, "a@example.test", extra, 0);
    assert_eq!(report["status"], "delivered");
    assert_eq!(report["recipients"][0]["status"], "delivered");
    assert_eq!(report["server"]["host"], "mx.example.test");
    assert_eq!(
        report["tls"]["dane_verified_record"],
        format!("3 1 1 {}", mail_peers().certs.tlsa311())
    );
    let attempts = report["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 1, "{report}");
    assert_eq!(attempts[0]["error"], Value::Null);
    assert!(
        report["tlsrpt"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["policy"]["policy-type"] == "tlsa"
                && r["summary"]["total-successful-session-count"] == 1),
        "{report}"
    );
    assert!(
        report["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["dial"]["outcome"] == "connected"),
        "{report}"
    );
    let (_, stored) = token_message(token);
    let found = stored_with(token, 1);
    assert_eq!(found.len(), 1);
    assert!(found[0].ends_with(&stored), "stored as sent");
}

/// MX delivery to `badtlsa.example.test` (a TLSA record that matches nothing): a temporary
/// `dane` failure, no plaintext retry, nothing stored.
pub fn wrong_tlsa_record_refused(client: Client, dir: &Path, token: &str, extra: &[&str]) {
    let report = deliver(client, dir, token, "a@badtlsa.example.test", extra, 75);
    assert_eq!(report["status"], "temporary");
    assert_eq!(report["recipients"][0]["status"], "temporary");
    assert_eq!(report["error"]["kind"], "dane");
    assert_eq!(report["error"]["permanent"], false);
    let attempts = report["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 1, "no plaintext retry: {report}");
    assert_eq!(attempts[0]["error"]["kind"], "dane");
    std::thread::sleep(Duration::from_secs(2));
    assert!(stored_with(token, 0).is_empty(), "nothing stored");
}

/// MX delivery to `insecure.test` (unsigned): delivered without DANE, stored as sent.
pub fn insecure_zone_without_dane(client: Client, dir: &Path, token: &str, extra: &[&str]) {
    let report = deliver(client, dir, token, "a@insecure.test", extra, 0);
    assert_eq!(report["status"], "delivered");
    assert_eq!(report["server"]["host"], "mx.insecure.test");
    assert_eq!(
        report["tls"]["dane_verified_record"],
        Value::Null,
        "no DANE without DNSSEC: {report}"
    );
    let (_, stored) = token_message(token);
    let found = stored_with(token, 1);
    assert_eq!(found.len(), 1);
    assert!(found[0].ends_with(&stored), "stored as sent");
}
