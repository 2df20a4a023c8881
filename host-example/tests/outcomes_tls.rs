//! TLS modes that do what users mean (issue 18 items 4 and 5), through the real binary
//! (`host-example send`, the component in wasmtime):
//! - `--tls opportunistic` is unauthenticated encryption (RFC 7435, Postfix's `may`): a server
//!   whose certificate does not verify gets the message over TLS; the failure is recorded
//!   (`tls.pkix_valid: false`, TLS-RPT failure details), never fatal.
//! - `--tlsa` with a DANE-EE or DANE-TA record replaces PKIX (RFC 7672 §3.1), as
//!   `openssl s_client -dane_tlsa_rrdata` does: no `--no-verify` needed. A PKIX-EE record
//!   (unusable in SMTP, RFC 7672 §3.1.3) does not.
//!
//! Against our sink (a self-signed leaf, STARTTLS) and, with the real peers, Postfix (a
//! self-signed CA certificate as the server's, as `openssl req -x509` makes it).

mod support;

use host_example::sink::Sink;
use serde_json::Value;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::time::Duration;
use support::{Certs, Postfix, PostfixConfig, peers_enabled, wait_for};

fn message_file(token: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("outcomes-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{token}.eml"));
    let body = format!("From: a@example.org\r\nSubject: {token}\r\n\r\n{token}\r\n");
    std::fs::write(&path, body).unwrap();
    path
}

/// `host-example send --json` to `127.0.0.1:port` with `tls` and `extra` flags.
fn send(port: u16, tls: &str, token: &str, extra: &[&str]) -> (Output, Value) {
    let server = format!("127.0.0.1:{port}");
    let message = message_file(token);
    let mut args = vec![
        "send",
        "--server",
        &server,
        "--tls",
        tls,
        "--from",
        "a@example.org",
        "--to",
        "b@example.net",
        "--message",
        message.to_str().unwrap(),
        "--timeout",
        "30",
        "--json",
    ];
    args.extend_from_slice(extra);
    let output = Command::new(env!("CARGO_BIN_EXE_host-example"))
        .args(&args)
        .output()
        .expect("host-example runs");
    let json = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (output, json)
}

async fn send_async(port: u16, tls: &str, token: &str, extra: &[&str]) -> (Output, Value) {
    let (tls, token) = (tls.to_string(), token.to_string());
    let extra: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
        send(port, &tls, &token, &extra)
    })
    .await
    .unwrap()
}

/// The failure details of a TLS-RPT result, as (result-type, failure-reason-code).
fn details(result: &Value) -> Vec<(String, String)> {
    result["failure-details"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|d| {
            (
                d["result-type"].as_str().unwrap_or_default().to_string(),
                d["failure-reason-code"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            )
        })
        .collect()
}

/// Delivered over TLS with PKIX recorded as failed: `result_type` in the recipient domain's
/// TLS-RPT result, which still counts a successful session.
fn assert_delivered_unverified(output: &Output, json: &Value, result_type: &str) {
    assert_eq!(output.status.code(), Some(0), "{json}");
    assert_eq!(json["status"], "delivered", "{json}");
    assert_eq!(json["error"], Value::Null, "{json}");
    assert_eq!(json["recipients"][0]["status"], "delivered", "{json}");
    assert!(json["tls"]["version"].is_string(), "{json}");
    assert_eq!(json["tls"]["pkix_valid"], false, "{json}");
    let domain = &json["tlsrpt"][0];
    assert_eq!(
        domain["summary"]["total-successful-session-count"], 1,
        "{json}"
    );
    assert_eq!(
        domain["summary"]["total-failure-session-count"], 0,
        "{json}"
    );
    assert_eq!(
        details(domain),
        [(result_type.to_string(), String::new())],
        "{json}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn opportunistic_delivers_to_a_self_signed_server_and_records_the_failure() {
    let sink = Sink::start_tls("mx.example.net").await.unwrap();
    let (output, json) = send_async(sink.addr.port(), "opportunistic", "opportunistic", &[]).await;
    // The sink's certificate names mx.example.net, not 127.0.0.1.
    assert_delivered_unverified(&output, &json, "certificate-host-mismatch");
    assert_eq!(json["tls"]["dane_verified_record"], Value::Null, "{json}");
    let received = sink.received();
    assert_eq!(received.len(), 1, "{json}");
    assert!(received[0].tls, "the message went over TLS");
    // Required STARTTLS with PKIX (the default) still refuses the same server.
    let (output, json) = send_async(sink.addr.port(), "starttls", "required", &[]).await;
    assert_eq!(output.status.code(), Some(75), "{json}");
    assert_eq!(json["error"]["kind"], "tls", "{json}");
    assert_eq!(sink.received().len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dane_ee_record_replaces_pkix_without_no_verify() {
    let sink = Sink::start_tls("mx.example.net").await.unwrap();
    let record = sink.tlsa_3_1_1().unwrap();
    let port = sink.addr.port();
    let (output, json) = send_async(port, "starttls", "dane-ee", &["--tlsa", &record]).await;
    assert_delivered_unverified(&output, &json, "certificate-host-mismatch");
    assert_eq!(
        json["tls"]["dane_verified_record"],
        record.as_str(),
        "{json}"
    );
    let host = &json["tlsrpt"][1];
    assert_eq!(details(host), [], "{json}");
    assert_eq!(sink.received().len(), 1);
    // A PKIX-EE record for the same key neither authenticates the server nor replaces PKIX.
    let pkix_ee = record.replacen('3', "1", 1);
    let (output, json) = send_async(port, "starttls", "pkix-ee", &["--tlsa", &pkix_ee]).await;
    assert_eq!(output.status.code(), Some(75), "{json}");
    assert_eq!(json["status"], "temporary", "{json}");
    assert_eq!(json["error"]["kind"], "dane", "{json}");
    assert_eq!(json["error"]["permanent"], false, "{json}");
    assert_eq!(sink.received().len(), 1);
}

/// One Postfix with a self-signed CA certificate (its own issuer, not among the roots; it
/// also names 127.0.0.1) for the tests here.
fn postfix() -> &'static (Certs, Postfix) {
    static PEER: OnceLock<(Certs, Postfix)> = OnceLock::new();
    PEER.get_or_init(|| {
        let certs = Certs::generate();
        let postfix = Postfix::start_with(Some(&certs), &PostfixConfig::default());
        (certs, postfix)
    })
}

/// Waits until Postfix stored the message with subject `token`.
fn wait_stored(postfix: &Postfix, token: &str) {
    let subject = format!("Subject: {token}");
    let stored = wait_for(Duration::from_secs(20), || {
        postfix
            .messages_now()
            .iter()
            .any(|m| String::from_utf8_lossy(m).contains(&subject))
            .then_some(())
    });
    assert!(stored.is_some(), "{token} not stored");
}

#[test]
fn postfix_with_an_untrusted_certificate_gets_mail_over_opportunistic_tls() {
    if !peers_enabled("postfix") {
        return;
    }
    let (_, postfix) = postfix();
    let (output, json) = send(postfix.smtp_port(), "opportunistic", "pfmay", &[]);
    assert_delivered_unverified(&output, &json, "certificate-not-trusted");
    wait_stored(postfix, "pfmay");
}

#[test]
fn postfix_with_an_untrusted_certificate_is_verified_by_a_dane_ee_record_alone() {
    if !peers_enabled("postfix") {
        return;
    }
    let (certs, postfix) = postfix();
    let record = certs.tlsa_record();
    let (output, json) = send(
        postfix.smtp_port(),
        "starttls",
        "pfdane",
        &["--tlsa", &record],
    );
    assert_delivered_unverified(&output, &json, "certificate-not-trusted");
    assert_eq!(
        json["tls"]["dane_verified_record"],
        record.as_str(),
        "{json}"
    );
    wait_stored(postfix, "pfdane");
}
