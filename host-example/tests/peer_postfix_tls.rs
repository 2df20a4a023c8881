//! TLS through the component in wasmtime against a real Postfix (STARTTLS on its MX port,
//! implicit TLS on its submissions port) with a certificate generated for the test: PKIX with
//! the certificate as a root (`--ca`), DANE-EE with its TLSA record (`--tlsa`), and refusals
//! with a wrong record or without the root, each with its TLS-reporting results and the fatal
//! alert Postfix logs. A second Postfix serves a leaf signed by a test CA for DANE-TA (RFC 7672
//! §3.1.2) over the CA, with the server's name checked against the remote host name.

mod support;

use serde_json::Value;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::time::{Duration, Instant};
use support::{Certs, Postfix, PostfixConfig, TempDir, peers_enabled, wait_for};

/// One Postfix serving one certificate for every test here.
struct Peer {
    certs: Certs,
    postfix: Postfix,
}

fn peer() -> &'static Peer {
    static PEER: OnceLock<Peer> = OnceLock::new();
    PEER.get_or_init(|| {
        let certs = Certs::generate();
        let postfix = Postfix::start_with(Some(&certs), &PostfixConfig::default());
        Peer { certs, postfix }
    })
}

/// A Postfix presenting `mx.example.test` signed by a test CA (the chain, leaf first).
fn ta_peer() -> &'static Peer {
    static PEER: OnceLock<Peer> = OnceLock::new();
    PEER.get_or_init(|| {
        let certs = Certs::generate_with_ca("mx.example.test");
        let postfix = Postfix::start_with(Some(&certs), &PostfixConfig::default());
        Peer { certs, postfix }
    })
}

/// A zone file where the server's right and wrong names both lead to 127.0.0.1.
fn zone_file() -> &'static PathBuf {
    static ZONE: OnceLock<(TempDir, PathBuf)> = OnceLock::new();
    &ZONE
        .get_or_init(|| {
            let dir = TempDir::new("zone");
            let path = dir.path().join("example.test.zone");
            let zone = "$ORIGIN example.test.\nmx A 127.0.0.1\nother A 127.0.0.1\n";
            std::fs::write(&path, zone).unwrap();
            (dir, path)
        })
        .1
}

/// Waits until Postfix logged `text` (its log is written asynchronously).
fn wait_logged(postfix: &Postfix, text: &str) {
    let found = wait_for(Duration::from_secs(10), || {
        postfix.log().contains(text).then_some(())
    });
    assert!(
        found.is_some(),
        "{text:?} not in the log:\n{}",
        postfix.log()
    );
}

fn message_file(token: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("smtpclient-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{token}.eml"));
    let body = format!(
        "From: a@example.org\r\nTo: {token}@example.net\r\nSubject: {token}\r\n\r\n{token}\r\n"
    );
    std::fs::write(&path, body).unwrap();
    path
}

/// `host-example send` to Postfix's `port` on 127.0.0.1 with `tls` and `extra` flags.
fn send(port: u16, tls: &str, token: &str, extra: &[&str]) -> (Output, Value) {
    send_to("127.0.0.1", port, tls, token, extra)
}

/// `host-example send` to `host` (the remote host name for PKIX and DANE-TA).
fn send_to(host: &str, port: u16, tls: &str, token: &str, extra: &[&str]) -> (Output, Value) {
    let server = format!("{host}:{port}");
    let message = message_file(token);
    let to = format!("{token}@example.net");
    let mut args = vec![
        "send",
        "--server",
        &server,
        "--tls",
        tls,
        "--from",
        "a@example.org",
        "--to",
        &to,
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

fn stored(token: &str) -> bool {
    stored_at(&peer().postfix, token)
}

fn stored_at(postfix: &Postfix, token: &str) -> bool {
    let subject = format!("Subject: {token}");
    postfix
        .messages_now()
        .iter()
        .any(|m| String::from_utf8_lossy(m).contains(&subject))
}

fn wait_stored(token: &str) {
    wait_stored_at(&peer().postfix, token);
}

fn wait_stored_at(postfix: &Postfix, token: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !stored_at(postfix, token) {
        assert!(Instant::now() < deadline, "{token} not delivered");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The failure details of the results, as (result-type, failure-reason-code).
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

#[test]
fn starttls_verified_by_pkix_with_a_test_root() {
    if !peers_enabled("postfix") {
        return;
    }
    let peer = peer();
    let ca = peer.certs.cert();
    let (output, json) = send(
        peer.postfix.smtp_port(),
        "starttls",
        "tlspkix",
        &["--ca", ca.to_str().unwrap()],
    );
    assert_eq!(output.status.code(), Some(0), "{json}");
    assert_eq!(json["status"], "delivered");
    assert_eq!(json["tls"]["version"], "TLSv1.3");
    assert_eq!(json["tls"]["pkix_valid"], true);
    assert_eq!(json["tls"]["dane_verified_record"], Value::Null);
    assert!(
        json["tls"]["cipher"]
            .as_str()
            .unwrap()
            .starts_with("TLS13_")
    );
    let rpt = &json["tlsrpt"];
    assert_eq!(rpt.as_array().unwrap().len(), 2, "{rpt}");
    for result in rpt.as_array().unwrap() {
        assert_eq!(result["summary"]["total-successful-session-count"], 1);
        assert_eq!(result["summary"]["total-failure-session-count"], 0);
        assert_eq!(details(result), []);
    }
    wait_stored("tlspkix");
}

#[test]
fn starttls_verified_by_dane_ee() {
    if !peers_enabled("postfix") {
        return;
    }
    let peer = peer();
    let record = peer.certs.tlsa_record();
    let (output, json) = send(
        peer.postfix.smtp_port(),
        "starttls",
        "tlsdane",
        &["--no-verify", "--tlsa", &record],
    );
    assert_eq!(output.status.code(), Some(0), "{json}");
    assert_eq!(json["tls"]["dane_verified_record"], record.as_str());
    wait_stored("tlsdane");
}

#[test]
fn wrong_tlsa_record_refuses_the_server() {
    if !peers_enabled("postfix") {
        return;
    }
    let peer = peer();
    let wrong = format!("3 1 1 {}", "00".repeat(32));
    let (output, json) = send(
        peer.postfix.smtp_port(),
        "starttls",
        "tlswrong",
        &["--no-verify", "--tlsa", &wrong],
    );
    assert_eq!(output.status.code(), Some(75), "{json}");
    assert_eq!(json["error"]["kind"], "dane");
    assert_eq!(json["tls"], Value::Null);
    let host = &json["tlsrpt"][1];
    assert_eq!(host["summary"]["total-failure-session-count"], 1);
    assert_eq!(
        details(host),
        [(
            "validation-failure".to_string(),
            "dane-no-match".to_string()
        )]
    );
    assert!(!stored("tlswrong"));
    // RFC 8446 §6.2: the verifier's rejection reaches Postfix as a fatal alert.
    wait_logged(&peer.postfix, "alert access denied");
}

#[test]
fn pkix_without_the_root_is_refused_and_reported() {
    if !peers_enabled("postfix") {
        return;
    }
    let peer = peer();
    let (output, json) = send(peer.postfix.smtp_port(), "starttls", "tlsnoroot", &[]);
    assert_eq!(output.status.code(), Some(75), "{json}");
    assert_eq!(json["error"]["kind"], "tls");
    let domain = &json["tlsrpt"][0];
    assert_eq!(domain["summary"]["total-failure-session-count"], 1);
    assert_eq!(
        details(domain),
        [("certificate-not-trusted".to_string(), String::new())]
    );
    assert!(!stored("tlsnoroot"));
    wait_logged(&peer.postfix, "alert unknown ca");
}

#[test]
fn implicit_tls_on_the_submissions_port() {
    if !peers_enabled("postfix") {
        return;
    }
    let peer = peer();
    let ca = peer.certs.cert();
    // No AUTH here (issue 3): Postfix refuses to relay, but only after TLS was set up.
    let (_, json) = send(
        peer.postfix.submissions_port(),
        "immediate",
        "tlsimmediate",
        &["--ca", ca.to_str().unwrap()],
    );
    assert_eq!(json["tls"]["version"], "TLSv1.3", "{json}");
    assert_eq!(json["tls"]["pkix_valid"], true);
}

#[test]
fn dane_ta_over_the_test_ca_verifies_the_server() {
    if !peers_enabled("postfix") {
        return;
    }
    let peer = ta_peer();
    let zone = zone_file().to_str().unwrap();
    for (selector, matching_type) in [(1, 1), (0, 0), (0, 2)] {
        let record = peer.certs.ca_tlsa_record(selector, matching_type);
        let token = format!("tlsta{selector}{matching_type}");
        let (output, json) = send_to(
            "mx.example.test",
            peer.postfix.smtp_port(),
            "starttls",
            &token,
            &["--no-verify", "--tlsa", &record, "--zone", zone],
        );
        assert_eq!(output.status.code(), Some(0), "{record}: {json}");
        assert_eq!(json["tls"]["dane_verified_record"], record.as_str());
        // The CA is no PKIX root here: PKIX fails, and is reported, but is not required.
        assert_eq!(json["tls"]["pkix_valid"], false);
        let host = &json["tlsrpt"][1];
        assert_eq!(
            host["summary"]["total-successful-session-count"], 1,
            "{json}"
        );
        assert_eq!(details(host), []);
        wait_stored_at(&peer.postfix, &token);
    }
}

#[test]
fn dane_ta_refuses_a_server_certificate_without_the_remote_name() {
    if !peers_enabled("postfix") {
        return;
    }
    let peer = ta_peer();
    let zone = zone_file().to_str().unwrap();
    let record = peer.certs.ca_tlsa_record(1, 1);
    // The chain leads to the anchor, but the leaf names mx.example.test, not other.example.test.
    let (output, json) = send_to(
        "other.example.test",
        peer.postfix.smtp_port(),
        "starttls",
        "tlstaname",
        &["--no-verify", "--tlsa", &record, "--zone", zone],
    );
    assert_eq!(output.status.code(), Some(75), "{json}");
    assert_eq!(json["error"]["kind"], "dane");
    assert!(
        json["error"]["message"]
            .as_str()
            .unwrap()
            .contains("allowed names"),
        "{json}"
    );
    // The record matched but the name check failed: "+errors" (mox's reason code).
    let host = &json["tlsrpt"][1];
    assert_eq!(host["summary"]["total-failure-session-count"], 1);
    assert_eq!(
        details(host),
        [(
            "validation-failure".to_string(),
            "dane-no-match+errors".to_string()
        )]
    );
    assert!(!stored_at(&peer.postfix, "tlstaname"));
    wait_logged(&peer.postfix, "alert access denied");
}

#[test]
fn client_certificate_is_presented_to_postfix() {
    if !peers_enabled("postfix") {
        return;
    }
    let peer = peer();
    let client = Certs::generate_for("client.example.test");
    let ca = peer.certs.cert();
    let (cert, key) = (client.cert(), client.key());
    let (output, json) = send(
        peer.postfix.smtp_port(),
        "starttls",
        "clientcert",
        &[
            "--ca",
            ca.to_str().unwrap(),
            "--client-cert",
            cert.to_str().unwrap(),
            "--client-key",
            key.to_str().unwrap(),
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{json}");
    wait_stored("clientcert");
    // Postfix asks for a certificate (smtpd_tls_ask_ccert) and logs the client's signature
    // when one was presented and used in the handshake.
    wait_logged(&peer.postfix, "client-signature");
}

#[test]
fn client_certificate_flags_come_together_and_files_must_exist() {
    // `send` to a closed port with the given client-certificate flags.
    let send_with = |flags: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_host-example"))
            .args([
                "send",
                "--server",
                "127.0.0.1:1",
                "--from",
                "a@example.org",
                "--to",
                "b@example.org",
            ])
            .args(flags)
            .output()
            .expect("host-example runs")
    };
    let output = send_with(&["--client-cert", "/nonexistent/cert.pem"]);
    assert_eq!(
        output.status.code(),
        Some(64),
        "--client-key is required with --client-cert"
    );
    let output = send_with(&[
        "--client-cert",
        "/nonexistent/cert.pem",
        "--client-key",
        "/nonexistent/key.pem",
    ]);
    assert_eq!(output.status.code(), Some(66));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("/nonexistent/cert.pem"), "{stderr}");
}
